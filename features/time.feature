Feature: Dates in rules: recent, before a deadline, after an earlier fact, overdue
  The test pack in tests/packs/time writes each date test of the rule language once; these scenarios
  pin each on both sides of its boundary, through the engine, as time passes.

  Background:
    Given the rule pack in "tests/packs/time"

  Scenario Outline: An action counts as recent for 90 days, both ends included
    Given these facts:
      | id  | kind   | observed   | fields        |
      | act | action | 2021-03-01 | verified=true |
    When the argument is evaluated as of <date>
    Then rule "recent" <recent>
    And rule "quiet" <quiet>

    Examples:
      | date       | recent                 | quiet                  |
      | 2021-03-01 | fired                  | is in its else branch  |
      | 2021-03-31 | fired                  | is in its else branch  |
      | 2021-04-01 | fired                  | fired                  |
      | 2021-05-30 | fired                  | fired                  |
      | 2021-05-31 | is in its else branch  | fired                  |

  Scenario Outline: A drop counts when observed after the action and within the assumed 60 days
    Given these facts:
      | id    | kind          | observed   | fields         |
      | act   | action        | 2021-03-01 | verified=true  |
      | trend | attacks_trend | <observed> | change_pct=-30 |
    When the argument is evaluated as of 2021-06-30
    Then rule "sustained" <sustained>

    Examples:
      | observed   | sustained              |
      | 2021-03-01 | is in its else branch  |
      | 2021-03-02 | fired                  |
      | 2021-04-30 | fired                  |
      | 2021-05-01 | is in its else branch  |
      | 2021-02-28 | is in its else branch  |

  Scenario: Sustained progress earns talks, resting on both facts
    Given the facts in "tests/packs/time/facts/base.yaml"
    When the argument is evaluated as of 2021-04-20
    Then the US response includes "talks.offer"
    And the response "talks.offer" rests on fact "act-1"
    And the response "talks.offer" rests on fact "trend-1"

  Scenario: Before a fixed deadline, and before a deadline given in a fact
    Given the facts in "tests/packs/time/facts/base.yaml"
    When the argument is evaluated as of 2021-05-01
    Then the US response includes "action.early"
    And the US response includes "action.in_time"

  Scenario Outline: A notice is overdue the day after it falls due
    Given the facts in "tests/packs/time/facts/base.yaml"
    When the argument is evaluated as of <date>
    Then rule "overdue" <overdue>

    Examples:
      | date       | overdue                |
      | 2021-05-15 | is in its else branch  |
      | 2021-05-16 | fired                  |

  Scenario: Without a notice, whether it is overdue is undetermined; a date test is never what is missing
    Given these facts:
      | kind   | observed   | fields        |
      | action | 2021-03-01 | verified=true |
    When the argument is evaluated as of 2021-05-16
    Then rule "overdue" is undetermined for lack of "notice:party"
    And rule "recent" fired

  Scenario Outline: A notice is old once more than 30 days have passed since it was given (not: of a date test)
    Given the facts in "tests/packs/time/facts/base.yaml"
    When the argument is evaluated as of <date>
    Then the US response includes "<response>"

    Examples:
      | date       | response     |
      | 2021-03-03 | notice.fresh |
      | 2021-03-04 | notice.old   |
