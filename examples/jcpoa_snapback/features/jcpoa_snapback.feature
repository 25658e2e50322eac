# The JCPOA's conditional commitment as executable specs (run by tests/test_examples.py).
Feature: Sanctions relief for IAEA-verified limits, with snapback

  Background:
    Given the rule pack of this feature

  Scenario: Implementation Day: the IAEA verifies Iran's measures and the UN sanctions end
    Given the facts in "facts/2016-implementation-day.yaml"
    When the argument is evaluated as of 2016-01-17
    Then the headline compliance is verified
    And rule "compliance.verified" fired
    And the recommendation includes "relief.terminate_un_sanctions"
    And the response "relief.terminate_un_sanctions" rests on fact "iaea-2016-01-16"
    And the response "relief.terminate_un_sanctions" cites paragraph 18
    And the recommendation does not include "snapback.notify_security_council"
    And no guardrail is violated

  Scenario: July 2019 to January 2020: limits exceeded, relief held, the E3 refer it to the Joint Commission
    Given the facts in "facts"
    When the argument is evaluated as of 2020-02-01
    Then the headline compliance is in_breach
    And rule "compliance.verified" is in its else branch
    And rule "relief.on_verification" is in its else branch
    And the recommendation includes "relief.hold"
    And the recommendation includes "snapback.refer_to_joint_commission"
    And the recommendation does not include "relief.terminate_un_sanctions"
    And the recommendation does not include "snapback.notify_security_council"
    And fact "iaea-2016-01-16" is not counted because "superseded"
    And no guardrail is violated

  Scenario: The dispute resolution mechanism exhausted: notify the Security Council (snapback)
    Given the facts in "facts"
    And these facts:
      | kind               | subject | observed   | fields          |
      | dispute_resolution | jcpoa   | 2020-03-01 | stage=exhausted |
    When the argument is evaluated as of 2020-03-15
    Then rule "snapback.notify" fired
    And the recommendation includes "snapback.notify_security_council"
    And the response "snapback.notify_security_council" cites paragraph 11
    And the recommendation does not include "snapback.refer_to_joint_commission"
    And no guardrail is violated

  Scenario: Before any IAEA report nothing is verified, and only the principle stands
    Given no facts
    When the argument is evaluated as of 2015-08-01
    Then rule "compliance.verified" is undetermined for lack of "iaea_verification:iran"
    And the headline compliance is not derived
    And the recommendation includes "principle.verification_not_trust"
    And the recommendation does not include "relief.terminate_un_sanctions"
    And the recommendation does not include "relief.hold"
