Feature: Freshness, one series per key, staleness warnings and moot states
  A kind may say how long its facts count (`valid_for`), which fields name separate series of a state
  (`key`), and a pack may name states that end an offer (`moot`). The small pack in tests/packs/fresh
  declares each: violence trends count 120 days, one per metric; steps count 365 days; relief and
  delisting support end when the talks collapse, delisting support also once the party is delisted.

  Background:
    Given the rule pack in "tests/packs/fresh"
    And the facts in "tests/packs/fresh/facts/baseline.yaml"

  Scenario: A casualty trend counts for 120 days after it is observed, then it is stale
    When the argument is evaluated as of 2021-05-10
    Then fact "casualties-q1" counts
    And the US response includes "relief.offer"
    When the argument is evaluated as of 2021-05-11
    Then fact "casualties-q1" is not counted because "stale: observed 2021-01-10, counts 120 days (to 2021-05-10)"
    And the US response does not include "relief.offer"

  Scenario: An attacks figure does not replace a casualty figure
    When the argument is evaluated as of 2021-02-15
    Then fact "casualties-q1" counts
    And fact "attacks-q1" counts
    And the US response includes "watch.casualties_down"
    And the US response does not include "watch.attacks_down"
    And the evaluation gives no warning

  Scenario: The as-of date long after the newest counting fact is warned about
    When the argument is evaluated as of 2021-06-01
    Then the evaluation warns "newest counting fact is 2021-02-01, 120 days before the as-of date"

  Scenario: Collapsed talks end both offers, and only them
    Given the facts in "tests/packs/fresh/facts/collapse.yaml"
    When the argument is evaluated as of 2021-03-01
    Then the US response does not include "relief.offer"
    And the US response does not include "delisting.support"
    And the US response includes "watch.casualties_down"
    And rule "relief" is in its else branch

  Scenario: A party already delisted needs no support for delisting; relief still stands
    Given the facts in "tests/packs/fresh/facts/delisted.yaml"
    When the argument is evaluated as of 2021-03-01
    Then the US response does not include "delisting.support"
    And the US response includes "relief.offer"
