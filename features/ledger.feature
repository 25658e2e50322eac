Feature: The commitment ledger: what became of each commitment, for both sides
  A conditional commitment C(debtor, creditor, antecedent, consequent) is conditional until its antecedent
  holds, then detached (the consequent is owed), and ends discharged (delivered in time), violated (its
  deadline passed while owed), expired (the antecedent's deadline passed first), cancelled by the debtor
  or released by the creditor. rules/commitments.yaml declares the article's and the Doha agreement's.

  Background:
    Given the article's rule pack

  Scenario: While Pakistan claims inability the FATF offer stays conditional
    Given these facts:
      | kind            | observed   | fields                    |
      | pakistan_stance | 2021-02-01 | position=claims_inability |
    When the argument is evaluated as of 2021-03-01
    Then the commitment "us_pakistan.fatf_support" is conditional

  Scenario: Demonstrable steps and a sustained drop detach the FATF offer: support is owed by the next plenary
    Given these facts:
      | id      | kind            | observed   | fields                                                     |
      | arrests | pakistan_action | 2021-04-01 | action=arrest_taliban_leaders, verified=true               |
      | drop    | violence_trend  | 2021-05-10 | change_pct=-30, window_days=90, metric=civilian_casualties |
      | grey    | fatf_status     | 2021-02-25 | list=grey, next_plenary=2021-06-21                         |
    When the argument is evaluated as of 2021-06-01
    Then the commitment "us_pakistan.fatf_support" is detached since 2021-05-10
    And the commitment "us_pakistan.fatf_support" is due by 2021-06-21
    And the commitment "us_pakistan.fatf_support" moved on fact "drop"

  Scenario: Removal from the grey list at that plenary discharges the offer
    Given these facts:
      | id       | kind            | observed   | fields                                                     |
      | arrests  | pakistan_action | 2021-04-01 | action=arrest_taliban_leaders, verified=true               |
      | drop     | violence_trend  | 2021-05-10 | change_pct=-30, window_days=90, metric=civilian_casualties |
      | grey     | fatf_status     | 2021-02-25 | list=grey, next_plenary=2021-06-21                         |
      | delisted | fatf_status     | 2021-06-21 | list=none                                                  |
    When the argument is evaluated as of 2021-07-01
    Then the commitment "us_pakistan.fatf_support" is discharged since 2021-06-21
    And the commitment "us_pakistan.fatf_support" moved on fact "delisted"

  Scenario: Had the 1 May 2021 deadline stood, the US withdrawal commitment would be violated the next day
    Given these facts:
      | kind             | observed   | fields                                |
      | negotiations     | 2021-01-28 | state=stalled                         |
      | us_force_posture | 2021-01-22 | decision=undecided, deadline=2021-05-01 |
    When the argument is evaluated as of 2021-06-01
    Then the commitment "doha.us_withdrawal" is violated since 2021-05-02

  Scenario: The extension of 14 April 2021 moves the deadline, and the withdrawal stays owed
    Given these facts:
      | kind             | observed   | fields                                       |
      | negotiations     | 2021-01-28 | state=stalled                                |
      | us_force_posture | 2021-01-22 | decision=undecided, deadline=2021-05-01      |
      | us_force_posture | 2021-04-14 | decision=extend_deadline, deadline=2021-09-11 |
    When the argument is evaluated as of 2021-06-01
    Then the commitment "doha.us_withdrawal" is detached since 2021-01-28
    And the commitment "doha.us_withdrawal" is due by 2021-09-11

  Scenario: If Pakistan has not acted when US forces are due to leave, the FATF offer expires
    Given these facts:
      | kind             | observed   | fields                                          |
      | pakistan_stance  | 2021-02-01 | position=claims_inability                       |
      | us_force_posture | 2021-01-22 | decision=withdraw_on_schedule, deadline=2021-05-01 |
    When the argument is evaluated as of 2021-06-01
    Then the commitment "us_pakistan.fatf_support" is expired since 2021-05-02

  Scenario: When the talks collapse the US withdraws its FATF offer (cancelled by the debtor)
    Given these facts:
      | id       | kind         | observed   | fields          |
      | collapse | negotiations | 2021-08-15 | state=collapsed |
    When the argument is evaluated as of 2021-09-01
    Then the commitment "us_pakistan.fatf_support" is cancelled since 2021-08-15
    And the commitment "us_pakistan.fatf_support" moved on fact "collapse"

  Scenario: A US decision to stay releases the Taliban from the reduction in violence it was to buy
    Given these facts:
      | kind             | observed   | fields                                             |
      | us_force_posture | 2021-03-01 | decision=withdraw_on_schedule, deadline=2021-05-01 |
      | us_force_posture | 2021-04-10 | decision=remain_indefinitely                       |
    When the argument is evaluated as of 2021-06-01
    Then the commitment "doha.taliban_violence" is released since 2021-04-10

  Scenario: Backtest on the 2021 record: the US delivered its withdrawal, the Taliban not their reduction in violence
    Given the facts in "facts/history/2021"
    When the argument is evaluated as of 2021-09-30
    Then the commitment "doha.us_withdrawal" is discharged since 2021-08-30
    And the commitment "doha.us_withdrawal" moved on fact "h21-us-withdrawal-complete"
    And the commitment "doha.taliban_violence" is violated since 2021-09-01
    And the commitment "us_pakistan.fatf_support" is cancelled since 2021-08-15
