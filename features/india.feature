Feature: §2 Manage Pakistan's fears over Indian involvement in Afghanistan
  "in exchange for demonstrable steps toward pushing the Taliban to reduce violence, Washington should
  provide assurances to Pakistan that it will keep India at arm's length from intra-Afghan negotiations"

  Background:
    Given the article's rule pack
    And the baseline of February 2021

  Scenario Outline: Assurances on India only in exchange for demonstrable steps
    Given the "<scenario>" scenario
    When the argument is evaluated as of 2021-07-01
    Then the US response <assured> "india.keep_at_arms_length"
    And the US response <assured> "india.refrain_encouraging_involvement"
    And the US response <assured> "india.private_no_provocation_assurance"

    Examples:
      | scenario           | assured          |
      | cooperates         | includes         |
      | demonstrable_steps | includes         |
      | refuses            | does not include |

  Scenario: Each assurance cites its own paragraph
    Given the "demonstrable_steps" scenario
    When the argument is evaluated as of 2021-07-01
    Then the response "india.keep_at_arms_length" cites paragraph 22
    And the response "india.refrain_encouraging_involvement" cites paragraph 20
    And the response "india.private_no_provocation_assurance" cites paragraph 21

  Scenario: Afghanistan is decoupled from the Indo-Pacific partnership whatever Pakistan does
    When the argument is evaluated as of 2021-02-12
    Then the US response includes "india.decouple_from_indo_pacific"
    And rule "india.decouple" fired

  Scenario: Until a cease-fire is agreed, argue for a settlement inclusive of some Indian interests
    When the argument is evaluated as of 2021-02-12
    Then the US response includes "india.inclusive_settlement_message"

  Scenario: Once a cease-fire is agreed the inclusive-settlement message is no longer needed
    Given these facts:
      | kind         | observed   | fields                 |
      | negotiations | 2021-08-01 | state=ceasefire_agreed |
    When the argument is evaluated as of 2021-08-02
    Then rule "india.inclusive_settlement" is in its else branch
    And the US response does not include "india.inclusive_settlement_message"

  Scenario: Back the non-interference understanding while it is being negotiated, not once agreed
    Given these facts:
      | kind                     | observed   | fields       |
      | pak_afghan_understanding | 2021-09-01 | state=agreed |
    When the argument is evaluated as of 2021-09-02
    Then rule "diplomacy.non_interference" is in its else branch
    And the US response does not include "diplomacy.back_non_interference_deal"

  Scenario: With no fact on the understanding, whether to back it is undetermined
    Given no facts
    When the argument is evaluated as of 2021-02-12
    Then rule "diplomacy.non_interference" is undetermined for lack of "pak_afghan_understanding:pakistan_afghanistan"

  Scenario: If India uses Afghan soil to provoke Pakistan while Pakistan acts, the US does not tolerate it
    Given the "demonstrable_steps" scenario
    And these facts:
      | kind              | observed   | fields                           |
      | india_involvement | 2021-06-01 | level=provocation_via_afghanistan |
    When the argument is evaluated as of 2021-07-01
    Then the US response includes "india.oppose_provocation_from_afghan_soil"
    And the response "india.oppose_provocation_from_afghan_soil" cites paragraph 22
    And no guardrail is violated

  Scenario: India's diplomatic role alone is no provocation to oppose
    Given the "demonstrable_steps" scenario
    When the argument is evaluated as of 2021-07-01
    Then rule "india.no_provocation_from_afghan_soil" is in its else branch
    And the US response does not include "india.oppose_provocation_from_afghan_soil"

  Scenario: The assurance is given in exchange for demonstrable steps, not to a refusing Pakistan
    Given these facts:
      | kind              | observed   | fields                           |
      | india_involvement | 2021-06-01 | level=provocation_via_afghanistan |
    When the argument is evaluated as of 2021-07-01
    Then Pakistan's cooperation level is refusal
    And the US response does not include "india.oppose_provocation_from_afghan_soil"
