Feature: Rules of evidence
  A fact counts only once observed, while still valid, and when graded at or above the pack's threshold
  (reliability A–C, credibility 1–3). For state-like kinds the latest counting fact supersedes the rest.

  Background:
    Given the article's rule pack

  Scenario: A rumour below the evidence threshold is shown but does not count
    Given the baseline of February 2021
    When the argument is evaluated as of 2021-02-12
    Then fact "base-rumour-quetta-arrests" is not counted because "below evidence threshold"
    And Pakistan's cooperation level is refusal

  Scenario: A fact observed after the as-of date does not count yet
    Given these facts:
      | id      | kind            | observed   | fields                       |
      | stance1 | pakistan_stance | 2021-05-01 | position=refuses_to_pressure |
    When the argument is evaluated as of 2021-04-01
    Then fact "stance1" is not counted because "not yet observed"
    And Pakistan's cooperation level is unknown

  Scenario: A fact past its valid_until date no longer counts
    Given these facts:
      | id      | kind            | observed   | valid_until | fields                                         |
      | arrests | pakistan_action | 2021-03-01 | 2021-04-01  | action=arrest_taliban_leaders, verified=true   |
    When the argument is evaluated as of 2021-05-01
    Then fact "arrests" is not counted because "expired"
    And Pakistan's cooperation level is unknown

  Scenario: The latest stance supersedes an earlier one, whatever order they are given in
    Given these facts:
      | id    | kind            | observed   | fields                      |
      | later | pakistan_stance | 2021-04-01 | position=supports_ceasefire |
      | early | pakistan_stance | 2021-01-21 | position=claims_inability   |
    When the argument is evaluated as of 2021-05-01
    Then fact "early" is not counted because "superseded by later"
    And fact "later" counts
    And Pakistan's cooperation level is rhetorical

  Scenario: Pakistani actions are events: they accumulate instead of superseding
    Given these facts:
      | id   | kind            | observed   | fields                                          |
      | talk | pakistan_action | 2021-03-01 | action=facilitate_talks, verified=true          |
      | move | pakistan_action | 2021-01-01 | action=restrict_taliban_movement, verified=true |
    When the argument is evaluated as of 2021-05-01
    Then fact "talk" counts
    And fact "move" counts
    And Pakistan's cooperation level is demonstrable_steps

  Scenario Outline: A grade below the threshold does not count
    Given these facts:
      | id    | kind            | observed   | fields                    | reliability   | credibility   |
      | claim | pakistan_stance | 2021-01-21 | position=claims_inability | <reliability> | <credibility> |
    When the argument is evaluated as of 2021-02-12
    Then Pakistan's cooperation level is <level>

    Examples:
      | reliability | credibility | level   |
      | C           | 3           | refusal |
      | D           | 2           | unknown |
      | A           | 4           | unknown |

  Scenario: A violence trend counts for 120 days after it is reported, then it is stale
    Given these facts:
      | id    | kind            | observed   | fields                                                     |
      | act   | pakistan_action | 2021-03-01 | action=arrest_taliban_leaders, verified=true               |
      | trend | violence_trend  | 2021-03-15 | change_pct=-30, window_days=90, metric=civilian_casualties |
    When the argument is evaluated as of 2021-08-01
    Then fact "trend" is not counted because "stale"
    And fact "act" counts
    And Pakistan's cooperation level is demonstrable_steps

  Scenario: A Pakistani step counts for a year
    Given these facts:
      | id  | kind            | observed   | fields                                          |
      | act | pakistan_action | 2020-03-01 | action=restrict_taliban_movement, verified=true |
    When the argument is evaluated as of 2021-03-02
    Then fact "act" is not counted because "stale"
    And Pakistan's cooperation level is unknown

  Scenario: One trend per metric: a later attacks figure does not replace a casualty figure
    Given these facts:
      | id        | kind            | observed   | fields                                                     |
      | act       | pakistan_action | 2021-03-01 | action=arrest_taliban_leaders, verified=true               |
      | unama     | violence_trend  | 2021-04-14 | change_pct=-30, window_days=90, metric=civilian_casualties |
      | sigar     | violence_trend  | 2021-04-30 | change_pct=10, window_days=90, metric=attacks              |
    When the argument is evaluated as of 2021-05-01
    Then fact "unama" counts
    And fact "sigar" counts
    And Pakistan's cooperation level is sustained_reduction
