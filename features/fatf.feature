Feature: §1 Offer support at the Financial Action Task Force if Pakistan curbs Taliban violence
  "If Pakistan manages to reduce violence in Afghanistan … then it deserves Washington's support at the
  FATF. Alternatively, if Pakistan refuses to take action, then it should remain on the list."

  Background:
    Given the article's rule pack
    And the baseline of February 2021

  Scenario: On 12 February 2021 Pakistan claims inability, so it stays grey-listed
    When the argument is evaluated as of 2021-02-12
    Then Pakistan's cooperation level is refusal
    And the US response includes "fatf.keep_listed"
    And the US response does not include "fatf.support_removal"
    And the response "fatf.keep_listed" cites paragraph 25
    And the response "fatf.keep_listed" rests on fact "base-yusuf-claims-inability"

  Scenario Outline: FATF carrot and stick follow Pakistan's cooperation level
    Given the "<scenario>" scenario
    When the argument is evaluated as of 2021-07-01
    Then Pakistan's cooperation level is <level>
    And the US response <support> "fatf.support_removal"
    And the US response <listed> "fatf.keep_listed"
    And no guardrail is violated

    Examples:
      | scenario           | level               | support             | listed              |
      | cooperates         | sustained_reduction | includes            | does not include    |
      | demonstrable_steps | demonstrable_steps  | does not include    | does not include    |
      | refuses            | refusal             | does not include    | includes            |

  Scenario: While Pakistan is grey-listed the offer is stated as conditional
    When the argument is evaluated as of 2021-02-12
    Then the US response includes "fatf.state_conditional_offer"
    And the response "fatf.state_conditional_offer" cites paragraph 24

  Scenario: Once off the grey list there is no conditional offer to state
    Given these facts:
      | kind        | observed   | fields    |
      | fatf_status | 2022-10-21 | list=none |
    When the argument is evaluated as of 2022-11-01
    Then rule "fatf.conditional_message" is in its else branch
    And the US response does not include "fatf.state_conditional_offer"

  Scenario: Coalition Support Fund money only with sustained reduction and further progress in talks
    Given the "cooperates" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "csf.release_conditional"
    And the response "csf.release_conditional" rests on fact "coop-negotiations-progress"

  Scenario: Sustained reduction without progress in the talks releases no Coalition Support Fund money
    Given these facts:
      | kind            | observed   | fields                                                         |
      | pakistan_action | 2021-04-01 | action=arrest_taliban_leaders, verified=true                   |
      | violence_trend  | 2021-06-01 | change_pct=-30, window_days=90, metric=civilian_casualties     |
    When the argument is evaluated as of 2021-07-01
    Then Pakistan's cooperation level is sustained_reduction
    And the US response includes "fatf.support_removal"
    And the US response does not include "csf.release_conditional"
    And rule "csf.conditional_release" is in its else branch

  Scenario: The recommendation can be defended later: the run is in the audit trail
    Given the "refuses" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "fatf.keep_listed"
    And the audit trail holds the run
