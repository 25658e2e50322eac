Feature: §3 Accept the limits of Washington's own influence
  "Washington should be careful not to wait idly by for a response from Islamabad that may never come"
  while "remaining committed to bringing U.S. troops home within the agreed-upon timeframe".

  Background:
    Given the article's rule pack
    And the baseline of February 2021

  Scenario Outline: Withdrawal on the agreed timeline, and acting without waiting, never depend on Pakistan
    Given the "<scenario>" scenario
    When the argument is evaluated as of 2021-07-01
    Then Pakistan's cooperation level is <level>
    And the US response includes "posture.withdraw_on_agreed_timeline"
    And the US response includes "posture.act_without_waiting"
    And rule "posture.act_without_waiting" fired
    And no guardrail is violated

    Examples:
      | scenario           | level               |
      | cooperates         | sustained_reduction |
      | demonstrable_steps | demonstrable_steps  |
      | refuses            | refusal             |

  Scenario: Not waiting idly is advice even with no facts at all
    Given no facts
    When the argument is evaluated as of 2021-02-12
    Then the US response includes "posture.act_without_waiting"
    And the response "posture.act_without_waiting" cites paragraph 24

  Scenario: Remaining indefinitely risks more Pakistani support for the Taliban
    Given the "refuses" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "risk.remaining_may_increase_support"
    And the response "risk.remaining_may_increase_support" cites paragraph 23

  Scenario: While the US is undecided the risk of remaining is not raised
    When the argument is evaluated as of 2021-02-12
    Then rule "risk.remaining" is in its else branch
    And the US response does not include "risk.remaining_may_increase_support"

  Scenario: With no fact on the US posture the risk is undetermined
    Given no facts
    When the argument is evaluated as of 2021-02-12
    Then rule "risk.remaining" is undetermined for lack of "us_force_posture:united_states"

  Scenario: An extended policy review without action lets the chance slip
    When the argument is evaluated as of 2021-02-12
    Then the US response includes "risk.review_delay_loses_leverage"
    And the response "risk.review_delay_loses_leverage" cites paragraph 27
    And the response "risk.review_delay_loses_leverage" rests on fact "base-us-review-doha-deal"

  Scenario: Once the US decides, the review-delay risk is gone
    Given these facts:
      | kind             | observed   | fields                                                |
      | us_force_posture | 2021-04-14 | decision=withdraw_on_schedule, deadline=2021-09-11    |
    When the argument is evaluated as of 2021-04-20
    Then rule "risk.policy_review_delay" is in its else branch
    And the US response does not include "risk.review_delay_loses_leverage"
    And rule "risk.extension_needs_buy_in" is in its else branch

  Scenario: A one-time extension of the withdrawal deadline relies on Pakistan's buy-in
    Given these facts:
      | kind             | observed   | fields                                       |
      | us_force_posture | 2021-04-14 | decision=extend_deadline, deadline=2021-09-11 |
    When the argument is evaluated as of 2021-04-20
    Then the US response includes "risk.extension_relies_on_pakistan"
    And the response "risk.extension_relies_on_pakistan" cites paragraph 9
    And the US response includes "posture.withdraw_on_agreed_timeline"
    And no guardrail is violated

  Scenario: Once US forces have left there are no troops left to bring home on the timeline
    Given these facts:
      | kind             | observed   | fields                                            |
      | us_force_posture | 2021-08-30 | decision=withdrawal_complete, deadline=2021-08-31 |
    When the argument is evaluated as of 2021-09-01
    Then rule "posture.withdraw_on_timeline" is in its else branch
    And the US response does not include "posture.withdraw_on_agreed_timeline"
    And the US response includes "posture.act_without_waiting"
