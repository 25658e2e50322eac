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
    And the response "warning.remind_sst_possibility" cites paragraph 38
    And the response "warning.declining_importance" cites paragraph 37

  Scenario: When Pakistan takes demonstrable steps there are no warnings and no inability claim to reject
    Given the "demonstrable_steps" scenario
    When the argument is evaluated as of 2021-07-01
    Then rule "warning.refusal_consequences" is in its else branch
    And rule "messaging.reject_inability" is in its else branch
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
    And the response "messaging.firm_results_oriented" cites paragraph 16

    Examples:
      | scenario           |
      | cooperates         |
      | demonstrable_steps |
      | refuses            |
