Feature: Pakistan's cooperation level, derived from the facts
  Exactly one level, the first that holds: sustained_reduction, demonstrable_steps, refusal, rhetorical,
  unknown. A violence reduction with no demonstrable Pakistani action is not Pakistan curbing violence.

  Background:
    Given the article's rule pack

  Scenario Outline: Each level from the facts that decide it
    Given these facts:
      | kind            | observed   | fields   |
      | <kind>          | 2021-03-01 | <fields> |
      | <other kind>    | 2021-03-02 | <other>  |
    When the argument is evaluated as of 2021-04-01
    Then Pakistan's cooperation level is <level>
    And rule "coop.<level>" fired
    And no guardrail is violated

    Examples:
      | kind            | fields                                              | other kind      | other                                                    | level               |
      | pakistan_action | action=close_sanctuaries_or_logistics, verified=true | violence_trend  | change_pct=-25, window_days=60, metric=attacks            | sustained_reduction |
      | pakistan_action | action=restrict_taliban_movement, verified=true      | violence_trend  | change_pct=-40, window_days=30, metric=attacks            | demonstrable_steps  |
      | pakistan_stance | position=conditions_ceasefire_on_concessions         | pakistan_action | action=facilitate_talks, verified=true                    | refusal             |
      | pakistan_stance | position=supports_ceasefire                          | violence_trend  | change_pct=-50, window_days=90, metric=attacks            | rhetorical          |
      | pakistan_action | action=arrest_taliban_leaders, verified=false        | fatf_status     | list=grey                                                 | rhetorical          |
      | fatf_status     | list=grey                                            | violence_trend  | change_pct=-50, window_days=90, metric=security_incidents | unknown             |

  Scenario: With no facts at all the level is unknown, not refusal
    Given no facts
    When the argument is evaluated as of 2021-02-12
    Then Pakistan's cooperation level is unknown
    And the US response includes "posture.act_without_waiting"
    And the US response does not include "fatf.keep_listed"
    And the US response does not include "warning.remind_sst_possibility"

  Scenario: A demonstrable step outranks a refusing stance
    Given the baseline of February 2021
    And these facts:
      | kind            | observed   | fields                                          |
      | pakistan_action | 2021-03-01 | action=restrict_taliban_movement, verified=true |
    When the argument is evaluated as of 2021-03-15
    Then Pakistan's cooperation level is demonstrable_steps
    And rule "coop.refusal" is in its else branch
    And the US response does not include "fatf.keep_listed"

  Scenario: Pressing the Taliban to negotiate is not a demonstrable step, even verified and with violence down
    # "Pakistan sold the Trump administration a car without an engine" (the talks without less violence)
    Given these facts:
      | kind            | observed   | fields                                                     |
      | pakistan_action | 2021-03-01 | action=press_taliban_to_negotiate, verified=true           |
      | violence_trend  | 2021-03-20 | change_pct=-40, window_days=90, metric=civilian_casualties |
    When the argument is evaluated as of 2021-04-01
    Then Pakistan's cooperation level is rhetorical
    And rule "coop.demonstrable_steps" is in its else branch
    And the US response does not include "fatf.support_removal"
    And the US response does not include "india.keep_at_arms_length"

  Scenario: A fall in violence reported before Pakistan's step is not Pakistan curbing violence
    Given these facts:
      | kind            | observed   | fields                                                     |
      | violence_trend  | 2021-03-01 | change_pct=-40, window_days=90, metric=civilian_casualties |
      | pakistan_action | 2021-03-20 | action=arrest_taliban_leaders, verified=true               |
    When the argument is evaluated as of 2021-04-01
    Then Pakistan's cooperation level is demonstrable_steps
    And rule "coop.sustained_reduction" is in its else branch
    And the US response does not include "fatf.support_removal"

  Scenario: The same fall reported after the step is a sustained reduction
    Given these facts:
      | kind            | observed   | fields                                                     |
      | pakistan_action | 2021-03-01 | action=arrest_taliban_leaders, verified=true               |
      | violence_trend  | 2021-03-20 | change_pct=-40, window_days=90, metric=civilian_casualties |
    When the argument is evaluated as of 2021-04-01
    Then Pakistan's cooperation level is sustained_reduction
    And rule "coop.sustained_reduction" fired
