Feature: §4 Give Islamabad a dose of reality
  "The Biden administration should make it clear to Islamabad that feigning an inability to motivate the
  Taliban will fall on deaf ears."

  Background:
    Given the article's rule pack
    And the baseline of February 2021

  Scenario: A claimed inability is rejected, and refusal is told what it risks
    When the argument is evaluated as of 2021-02-12
    Then the US response includes "messaging.inability_claim_rejected"
    And the US response includes "warning.remind_sst_possibility"
    And the US response includes "warning.declining_importance"
    And the US response includes "warning.treated_as_agitator"
    And the response "warning.remind_sst_possibility" cites paragraph 26
    And the response "warning.declining_importance" cites paragraph 25
    And the response "warning.treated_as_agitator" cites paragraph 25

  Scenario: When Pakistan takes demonstrable steps there are no warnings and no inability claim to reject
    Given the "demonstrable_steps" scenario
    When the argument is evaluated as of 2021-07-01
    Then rule "warning.sst_reminder" is in its else branch
    And rule "warning.if_the_us_leaves" is in its else branch
    And rule "warning.if_the_us_stays" is in its else branch
    And rule "messaging.reject_inability" is in its else branch
    And the US response does not include "warning.remind_sst_possibility"

  Scenario Outline: Refusal risks two outcomes: the US leaves anyway, or it stays (¶25)
    Given these facts:
      | kind             | observed   | fields                       |
      | us_force_posture | 2021-04-14 | decision=<decision>          |
    When the argument is evaluated as of 2021-04-20
    Then Pakistan's cooperation level is refusal
    And the US response <leaves> "warning.declining_importance"
    And the US response <stays> "warning.treated_as_agitator"

    Examples:
      | decision             | leaves           | stays            |
      | withdraw_on_schedule | includes         | does not include |
      | extend_deadline      | includes         | does not include |
      | remain_indefinitely  | does not include | includes         |
      | undecided            | includes         | includes         |
      | withdrawal_complete  | includes         | does not include |

  Scenario: Rhetoric is not refusal: no state-sponsor reminder for an insufficient attempt (the threat ¶8 rejects)
    Given no facts
    And these facts:
      | kind            | observed   | fields                                         |
      | fatf_status     | 2021-02-25 | list=grey                                      |
      | pakistan_action | 2021-03-01 | action=public_call_for_ceasefire, verified=true |
    When the argument is evaluated as of 2021-04-01
    Then Pakistan's cooperation level is rhetorical
    And rule "warning.sst_reminder" is in its else branch
    And the US response does not include "warning.remind_sst_possibility"

  Scenario: With no positive outcome left on offer, the reminder would be bare coercion: none is given
    Given no facts
    And these facts:
      | kind            | observed   | fields                       |
      | pakistan_stance | 2022-09-01 | position=refuses_to_pressure |
      | fatf_status     | 2022-10-21 | list=none                    |
    When the argument is evaluated as of 2022-11-01
    Then Pakistan's cooperation level is refusal
    And rule "warning.sst_reminder" is in its else branch
    And the US response does not include "warning.remind_sst_possibility"

  Scenario: With no stance on record there is nothing to reject yet
    Given no facts
    When the argument is evaluated as of 2021-02-12
    Then rule "messaging.reject_inability" is undetermined for lack of "pakistan_stance:pakistan"

  Scenario Outline: The standing messages hold at every level of cooperation
    Given the "<scenario>" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "messaging.offer_positive_and_negative_choice"
    And the US response includes "messaging.acknowledge_sacrifices"
    And the US response includes "messaging.firm_results_oriented"
    And the US response includes "principle.keep_other_interests"
    And the response "messaging.firm_results_oriented" cites paragraph 8
    And the response "principle.keep_other_interests" cites paragraph 28

    Examples:
      | scenario           |
      | cooperates         |
      | demonstrable_steps |
      | refuses            |
