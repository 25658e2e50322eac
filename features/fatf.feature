Feature: §1 Offer support at the Financial Action Task Force if Pakistan curbs Taliban violence
  "If Pakistan manages to reduce violence in Afghanistan … then it deserves Washington's support at the
  FATF. Alternatively, if Pakistan refuses to take action, then it should remain on the list."
  Both presuppose a listing: off the list, there is nothing to support it out of or remain on.

  Background:
    Given the article's rule pack
    And the baseline of February 2021

  Scenario: On 12 February 2021 Pakistan claims inability, so it stays grey-listed
    When the argument is evaluated as of 2021-02-12
    Then Pakistan's cooperation level is refusal
    And the US response includes "fatf.keep_listed"
    And the US response does not include "fatf.support_removal"
    And the response "fatf.keep_listed" cites paragraph 16
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
    And the response "fatf.state_conditional_offer" cites paragraph 15

  Scenario: Once off the grey list there is no conditional offer to state
    Given these facts:
      | kind        | observed   | fields    |
      | fatf_status | 2022-10-21 | list=none |
    When the argument is evaluated as of 2022-11-01
    Then rule "fatf.conditional_message" is in its else branch
    And the US response does not include "fatf.state_conditional_offer"

  Scenario: Support comes with the caveat that a short-term drop guarantees nothing
    Given the "cooperates" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "fatf.support_removal"
    And the US response includes "risk.short_term_drop_no_guarantee"
    And the response "risk.short_term_drop_no_guarantee" cites paragraph 24
    And the response "risk.short_term_drop_no_guarantee" rests on fact "coop-violence-down-38"

  Scenario: While grey-listed, a Pakistan that does not act is reminded that the black list is on the table
    When the argument is evaluated as of 2021-02-12
    Then the US response includes "fatf.blacklist_possible"
    And the response "fatf.blacklist_possible" cites paragraph 12
    And the response "fatf.blacklist_possible" rests on fact "base-fatf-oct-2020-grey"

  Scenario: Rhetoric alone also leaves Pakistan listed, with the black list on the table
    Given no facts
    And these facts:
      | kind            | observed   | fields                                           |
      | fatf_status     | 2021-02-25 | list=grey                                        |
      | pakistan_action | 2021-03-01 | action=press_taliban_to_negotiate, verified=true |
    When the argument is evaluated as of 2021-04-01
    Then Pakistan's cooperation level is rhetorical
    And the US response includes "fatf.keep_listed"
    And the US response includes "fatf.blacklist_possible"
    And the US response does not include "warning.remind_sst_possibility"

  Scenario: Already delisted, Pakistan gets neither keep-listed advice nor a black-list warning
    Given no facts
    And these facts:
      | kind            | observed   | fields                       |
      | pakistan_stance | 2022-09-01 | position=refuses_to_pressure |
      | fatf_status     | 2022-10-21 | list=none                    |
    When the argument is evaluated as of 2022-11-01
    Then Pakistan's cooperation level is refusal
    And rule "fatf.keep_listed" is in its else branch
    And rule "fatf.blacklist_warning" is in its else branch
    And the US response does not include "fatf.keep_listed"
    And the US response does not include "fatf.blacklist_possible"

  Scenario: Already delisted, a sustained reduction has no removal left to support
    Given no facts
    And these facts:
      | kind            | observed   | fields                                                     |
      | pakistan_action | 2022-08-01 | action=arrest_taliban_leaders, verified=true               |
      | violence_trend  | 2022-10-01 | change_pct=-30, window_days=90, metric=civilian_casualties |
      | fatf_status     | 2022-10-21 | list=none                                                  |
    When the argument is evaluated as of 2022-11-01
    Then Pakistan's cooperation level is sustained_reduction
    And rule "fatf.offer_support" is in its else branch
    And the US response does not include "fatf.support_removal"

  Scenario: Once black-listed Pakistan stays listed, and the black list is no longer a threat but a fact
    Given no facts
    And these facts:
      | kind            | observed   | fields                       |
      | pakistan_stance | 2021-03-01 | position=refuses_to_pressure |
      | fatf_status     | 2021-06-25 | list=black                   |
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "fatf.keep_listed"
    And the US response includes "fatf.state_conditional_offer"
    And rule "fatf.blacklist_warning" is in its else branch

  Scenario: Coalition Support Fund money only with sustained reduction and further progress in talks
    Given the "cooperates" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "csf.release_conditional"
    And the response "csf.release_conditional" rests on fact "coop-negotiations-progress"

  Scenario: Sustained reduction without progress in the talks releases no Coalition Support Fund money
    Given these facts:
      | kind            | observed   | fields                                                         |
      | fatf_status     | 2021-02-25 | list=grey                                                      |
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

  Scenario: Once the talks have collapsed, the FATF bargain is moot: no carrot, no stick, no reminder
    Given these facts:
      | kind         | observed   | fields          |
      | negotiations | 2021-08-15 | state=collapsed |
    When the argument is evaluated as of 2021-08-16
    Then Pakistan's cooperation level is refusal
    And rule "fatf.keep_listed" is in its else branch
    And rule "fatf.blacklist_warning" is in its else branch
    And rule "warning.sst_reminder" is in its else branch
    And the US response does not include "fatf.keep_listed"
    And the US response does not include "fatf.state_conditional_offer"
    And the US response does not include "warning.remind_sst_possibility"
    And the US response includes "warning.declining_importance"

  Scenario: Once the talks have collapsed, even a sustained reduction earns no FATF support
    Given no facts
    And these facts:
      | kind            | observed   | fields                                                     |
      | fatf_status     | 2021-06-25 | list=grey                                                  |
      | pakistan_action | 2021-07-01 | action=arrest_taliban_leaders, verified=true               |
      | violence_trend  | 2021-08-01 | change_pct=-30, window_days=90, metric=civilian_casualties |
      | negotiations    | 2021-08-15 | state=collapsed                                            |
    When the argument is evaluated as of 2021-08-16
    Then Pakistan's cooperation level is sustained_reduction
    And rule "fatf.offer_support" is in its else branch
    And the US response does not include "fatf.support_removal"
    And the US response does not include "india.keep_at_arms_length"

  Scenario: Once US forces have left, a sustained reduction has nothing left to buy
    Given no facts
    And these facts:
      | kind             | observed   | fields                                                     |
      | fatf_status      | 2021-06-25 | list=grey                                                  |
      | pakistan_action  | 2021-07-01 | action=arrest_taliban_leaders, verified=true               |
      | violence_trend   | 2021-08-01 | change_pct=-30, window_days=90, metric=civilian_casualties |
      | us_force_posture | 2021-08-30 | decision=withdrawal_complete, deadline=2021-08-31          |
    When the argument is evaluated as of 2021-09-01
    Then Pakistan's cooperation level is sustained_reduction
    And rule "fatf.offer_support" is in its else branch
    And the US response does not include "fatf.support_removal"
    And the US response does not include "india.keep_at_arms_length"
