Feature: Guardrails from the article hold on every result
  No maximum pressure; no strings-free support; withdrawal is never a benchmark on Pakistan; carrot and
  stick are exclusive; other interests are not traded away.

  Scenario Outline: Every bundled situation respects every guardrail
    Given the article's rule pack
    And the baseline of February 2021
    And the "<scenario>" scenario
    When the argument is evaluated as of 2021-07-01
    Then no guardrail is violated

    Examples:
      | scenario           |
      | cooperates         |
      | demonstrable_steps |
      | refuses            |

  Scenario: The state-sponsor reminder comes only with refusal
    Given the article's rule pack
    And the baseline of February 2021
    And the "refuses" scenario
    When the argument is evaluated as of 2021-07-01
    Then Pakistan's cooperation level is refusal
    And the US response includes "warning.remind_sst_possibility"
    And no guardrail is violated

  Scenario: A pack that offers FATF support on a violence drop alone breaks two guardrails
    Given the rule pack in "tests/packs/strings_free"
    And these facts:
      | kind            | observed   | fields                                         |
      | pakistan_stance | 2021-03-01 | position=refuses_to_pressure                   |
      | violence_trend  | 2021-06-01 | change_pct=-40, window_days=90, metric=attacks |
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "fatf.support_removal"
    And guardrail "no_strings_free_support" is violated
    And guardrail "carrot_and_stick_exclusive" is violated
