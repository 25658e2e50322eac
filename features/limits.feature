Feature: §3 Accept the limits of Washington's own influence
  "Washington should be careful not to wait idly by for a response from Islamabad that may never come"
  while "remaining committed to bringing U.S. troops home within the agreed-upon timeframe".

  Background:
    Given the article's rule pack
    And the baseline of February 2021

  Scenario Outline: Withdrawal on the agreed timeline never depends on Pakistan
    Given the "<scenario>" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "posture.withdraw_on_agreed_timeline"
    And the US response <waits> "posture.act_without_waiting"
    And no guardrail is violated

    Examples:
      | scenario           | waits            |
      | cooperates         | does not include |
      | demonstrable_steps | does not include |
      | refuses            | includes         |

  Scenario: Remaining indefinitely risks more Pakistani support for the Taliban
    Given the "refuses" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "risk.remaining_may_increase_support"
    And the response "risk.remaining_may_increase_support" cites paragraph 34

  Scenario: While the US is undecided the risk is not raised
    When the argument is evaluated as of 2021-02-12
    Then rule "risk.remaining" is in its else branch
    And the US response does not include "risk.remaining_may_increase_support"

  Scenario: With no fact on the US posture the risk is undetermined
    Given no facts
    When the argument is evaluated as of 2021-02-12
    Then rule "risk.remaining" is undetermined for lack of "us_force_posture:united_states"
