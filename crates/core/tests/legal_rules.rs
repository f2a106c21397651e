//! The legal rules against every worked example of `../shared/notes/legal-and-formats.md` §1-3
//! (one test each, named after the example and citing its section), plus our own cases per rule
//! and properties.
//!
//! Where the notes mark something unverified [U], the test says so and checks that the
//! explanation carries `verified: false`.

use arflow_core::calendar::{
    Region, add_business_days, holiday, holidays, is_business_day, next_business_day_on_or_after,
    nl_term_end,
};
use arflow_core::legal::accrual::DayCount;
use arflow_core::legal::be::{
    self, B2cInterestStart, ReminderChannel, b2c_damages_max, waiting_period,
};
use arflow_core::legal::eu;
use arflow_core::legal::nl::{
    self, allocate_payment_6_44, bik, fourteen_day_term, presumed_receipt,
};
use arflow_core::legal::rates::{RateKind, RateTable};
use arflow_core::legal::{
    Charge, ChargeKind, ChargesDue, Claim, ClaimTerms, Explanation, Notices, RateTables,
    charges_due,
};
use arflow_core::money::{Currency, Money};
use arflow_core::party::{DebtorKind, OrgCountry};
use jiff::civil::{Date, date};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

fn rates() -> RateTables {
    RateTables::builtin().unwrap()
}

fn terms() -> ClaimTerms {
    ClaimTerms {
        vat_deductible: true,
        be_b2c_damages_clause: false,
        contractual_interest_percent: None,
        contractual_fee: None,
    }
}

fn claim(creditor: OrgCountry, debtor_kind: DebtorKind, principal: Money, due: Date) -> Claim {
    Claim {
        invoice_number: "F-1".into(),
        creditor,
        debtor_kind,
        principal,
        issue_date: date(due.year(), 1, 1).min(due),
        due_date: due,
        payments: Vec::new(),
        terms: terms(),
    }
}

fn charge(due: &ChargesDue, kind: ChargeKind) -> Option<&Charge> {
    due.charges.iter().find(|c| c.kind == kind)
}

fn withheld_reason<'a>(due: &'a ChargesDue, rule: &str) -> Option<&'a str> {
    due.withheld.iter().find(|w| w.rule == rule).map(|w| w.reason.as_str())
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Σ period amounts − interest paid = the interest charge, from the explanation alone.
fn recompute_interest(e: &Explanation) -> Money {
    Money::sum(Currency::EUR, e.periods.iter().map(|p| p.amount)).unwrap()
}

mod calendar {
    use super::*;

    #[test]
    fn easter_monday_is_a_holiday_in_both_countries() {
        assert_eq!(holiday(Region::Nl, date(2025, 4, 21)), Some("Tweede Paasdag"));
        assert_eq!(holiday(Region::Be, date(2025, 4, 21)), Some("Paasmaandag / Lundi de Pâques"));
        assert!(!is_business_day(Region::Nl, date(2025, 4, 21)));
        assert!(!is_business_day(Region::Be, date(2026, 4, 6)));
    }

    #[test]
    fn good_friday_counts_for_dutch_terms_but_is_no_belgian_holiday() {
        // Algemene termijnenwet art. 3 lid 2.
        assert_eq!(holiday(Region::Nl, date(2025, 4, 18)), Some("Goede Vrijdag"));
        assert_eq!(holiday(Region::Be, date(2025, 4, 18)), None);
    }

    #[test]
    fn koningsdag_moves_to_saturday_when_27_april_is_a_sunday() {
        assert_eq!(holiday(Region::Nl, date(2025, 4, 26)), Some("Koningsdag"));
        assert_eq!(holiday(Region::Nl, date(2025, 4, 27)), None);
        assert_eq!(holiday(Region::Nl, date(2031, 4, 26)), Some("Koningsdag"));
        assert_eq!(holiday(Region::Nl, date(2026, 4, 27)), Some("Koningsdag"));
        assert_eq!(holiday(Region::Nl, date(2013, 4, 30)), Some("Koninginnedag"));
    }

    #[test]
    fn bevrijdingsdag_counts_every_year_under_the_algemene_termijnenwet() {
        for year in [2024, 2025, 2026, 2027] {
            assert_eq!(holiday(Region::Nl, date(year, 5, 5)), Some("Bevrijdingsdag"), "{year}");
        }
        assert!(!is_business_day(Region::Nl, date(2026, 5, 5))); // a Tuesday
    }

    #[test]
    fn belgium_has_its_ten_legal_holidays() {
        let days: Vec<Date> = holidays(Region::Be, 2025).into_iter().map(|(d, _)| d).collect();
        assert_eq!(
            days,
            vec![
                date(2025, 1, 1),
                date(2025, 4, 21),
                date(2025, 5, 1),
                date(2025, 5, 29),
                date(2025, 6, 9),
                date(2025, 7, 21),
                date(2025, 8, 15),
                date(2025, 11, 1),
                date(2025, 11, 11),
                date(2025, 12, 25),
            ]
        );
    }

    #[test]
    fn the_dutch_holidays_of_2026() {
        let days: Vec<Date> = holidays(Region::Nl, 2026).into_iter().map(|(d, _)| d).collect();
        assert_eq!(
            days,
            vec![
                date(2026, 1, 1),
                date(2026, 4, 3),
                date(2026, 4, 5),
                date(2026, 4, 6),
                date(2026, 4, 27),
                date(2026, 5, 5),
                date(2026, 5, 14),
                date(2026, 5, 24),
                date(2026, 5, 25),
                date(2026, 12, 25),
                date(2026, 12, 26),
            ]
        );
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Thursday 14 August 2025 + 1 Belgian working day: Friday 15 August is Assumption Day.
        assert_eq!(add_business_days(Region::Be, date(2025, 8, 14), 1), date(2025, 8, 18));
        assert_eq!(add_business_days(Region::Nl, date(2025, 8, 14), 1), date(2025, 8, 15));
        assert_eq!(add_business_days(Region::Nl, date(2025, 8, 14), 0), date(2025, 8, 14));
        assert_eq!(next_business_day_on_or_after(Region::Nl, date(2025, 4, 18)), date(2025, 4, 22));
        assert_eq!(next_business_day_on_or_after(Region::Nl, date(2025, 4, 22)), date(2025, 4, 22));
    }

    #[test]
    fn a_term_ending_on_christmas_day_runs_to_the_next_business_day() {
        // Algemene termijnenwet art. 1 lid 1: Thu 25 and Fri 26 December, then the weekend.
        assert_eq!(nl_term_end(date(2025, 12, 25)), date(2025, 12, 29));
        assert_eq!(nl_term_end(date(2025, 12, 24)), date(2025, 12, 24));
    }
}

mod nl_bik {
    use super::*;

    /// legal-and-formats.md §1.1, "Worked values [C]": principal, BIK, BIK + 21 %.
    #[test]
    fn bik_worked_values_of_section_1_1() {
        let table = [
            (100_00, 40_00, 48_40),
            (266_67, 40_00, 48_40),
            (267_00, 40_05, 48_46),
            (1_000_00, 150_00, 181_50),
            (2_500_00, 375_00, 453_75),
            (3_000_00, 425_00, 514_25),
            (5_000_00, 625_00, 756_25),
            (7_500_00, 750_00, 907_50),
            (10_000_00, 875_00, 1_058_75),
            (25_000_00, 1_025_00, 1_240_25),
            (200_000_00, 2_775_00, 3_357_75),
            (1_000_000_00, 6_775_00, 8_197_75),
            (5_000_000_00, 6_775_00, 8_197_75),
        ];
        for (principal, plain, with_vat) in table {
            let p = eur(principal);
            assert_eq!(bik(p, true).unwrap().amount, eur(plain), "{p:?}");
            assert_eq!(bik(p, false).unwrap().amount, eur(with_vat), "{p:?} + VAT");
        }
    }

    #[test]
    fn the_break_even_of_the_minimum_is_266_67() {
        // §1.1: 15 % of 266.67 = 40.0005, which rounds to 40.00.
        let c = bik(eur(266_67), true).unwrap();
        assert!(c.explanation.arithmetic.contains(&"15% × 266.67 = 40.0005".to_owned()));
        assert!(
            c.explanation
                .arithmetic
                .contains(&"40.0005 rounded half-up to cents = 40.00".to_owned())
        );
        let below = bik(eur(266_66), true).unwrap();
        assert_eq!(below.amount, eur(40_00));
        assert!(below.explanation.arithmetic.iter().any(|s| s.contains("below the minimum")));
    }

    #[test]
    fn tranche_boundaries() {
        let cases = [
            (2_500_00, 375_00),
            (2_500_01, 375_00), // 375 + 10 % × 0.01 = 375.001
            (2_500_05, 375_01), // 375.005 rounds half-up
            (5_000_00, 625_00),
            (5_000_10, 625_01), // 625 + 5 % × 0.10 = 625.005
            (10_000_00, 875_00),
            (10_001_00, 875_01),
            (200_000_00, 2_775_00),
            (200_002_00, 2_775_01),
            (999_998_00, 6_774_99),
            (999_999_00, 6_775_00), // 6774.995 rounds half-up
            (1_000_001_00, 6_775_00),
        ];
        for (principal, expected) in cases {
            assert_eq!(bik(eur(principal), true).unwrap().amount, eur(expected), "{principal}");
        }
    }

    #[test]
    fn the_vat_uplift_is_its_own_step_and_cites_art_2_lid_3() {
        let c = bik(eur(3_000_00), false).unwrap();
        assert!(c.explanation.arithmetic.contains(&"425.00 + 89.25 = 514.25".to_owned()));
        assert!(c.explanation.article.contains("lid 1-2 en lid 3"));
        assert!(c.explanation.verified);
    }

    proptest! {
        #[test]
        fn bik_is_monotone_in_the_principal_and_within_40_and_6775(
            a in 1_i64..2_000_000_00, b in 1_i64..2_000_000_00,
        ) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let x = bik(eur(lo), true).unwrap().amount.minor();
            let y = bik(eur(hi), true).unwrap().amount.minor();
            prop_assert!(x <= y);
            prop_assert!((40_00..=6_775_00).contains(&x));
            prop_assert!((40_00..=6_775_00).contains(&y));
            let vx = bik(eur(lo), false).unwrap().amount.minor();
            prop_assert!((48_40..=8_197_75).contains(&vx));
        }
    }
}

mod nl_letter {
    use super::*;

    fn consumer_claim(principal: Money, due: Date) -> Claim {
        claim(OrgCountry::Nl, DebtorKind::Consumer, principal, due)
    }

    fn letter(sent: Date) -> Notices {
        Notices { nl_fourteen_day_letter_sent: Some(sent), ..Notices::default() }
    }

    /// §1.2: delivery is presumed on the 2nd day after sending, not counting Sundays, Mondays and
    /// official holidays; the term is 14 days from the day after receipt.
    #[test]
    fn presumed_receipt_and_term_of_section_1_2() {
        // Posted Monday 3 February 2025: Tuesday (1), Wednesday (2).
        let t = fourteen_day_term(date(2025, 2, 3));
        assert_eq!(t.presumed_receipt, date(2025, 2, 5));
        assert_eq!(t.last_day_unextended, date(2025, 2, 19));
        assert_eq!(t.last_day, date(2025, 2, 19));
        assert_eq!(t.charges_from, date(2025, 2, 20));
        // Posted Saturday: Sunday and Monday do not count.
        assert_eq!(presumed_receipt(date(2025, 2, 15)), date(2025, 2, 19));
        // Posted Friday 25 April 2025: Saturday 26 is Koningsdag, Sun/Mon skipped → Tue, Wed.
        assert_eq!(presumed_receipt(date(2025, 4, 25)), date(2025, 4, 30));
    }

    #[test]
    fn a_term_ending_on_christmas_day_is_extended_past_the_holidays_and_the_weekend() {
        let t = fourteen_day_term(date(2025, 12, 9));
        assert_eq!(t.presumed_receipt, date(2025, 12, 11));
        assert_eq!(t.last_day_unextended, date(2025, 12, 25));
        assert_eq!(t.last_day, date(2025, 12, 29));
        let c = consumer_claim(eur(1_000_00), date(2025, 11, 30));
        let before =
            charges_due(&c, &letter(date(2025, 12, 9)), date(2025, 12, 29), &rates()).unwrap();
        assert!(charge(&before, ChargeKind::CollectionCosts).is_none());
        let reason = withheld_reason(&before, "nl.bik").unwrap();
        assert!(reason.contains("runs until 2025-12-29"), "{reason}");
        assert!(reason.contains("150.00"), "{reason}");
        let after =
            charges_due(&c, &letter(date(2025, 12, 9)), date(2025, 12, 30), &rates()).unwrap();
        let bik = charge(&after, ChargeKind::CollectionCosts).unwrap();
        assert_eq!(bik.amount, eur(150_00));
        assert!(bik.explanation.text.contains("extended from 2025-12-25"));
    }

    #[test]
    fn without_a_letter_a_consumer_owes_no_collection_costs() {
        let c = consumer_claim(eur(1_000_00), date(2025, 1, 31));
        let due = charges_due(&c, &Notices::default(), date(2025, 6, 1), &rates()).unwrap();
        assert!(charge(&due, ChargeKind::CollectionCosts).is_none());
        let reason = withheld_reason(&due, "nl.bik").unwrap();
        assert!(reason.contains("No 14-day letter") && reason.contains("150.00"), "{reason}");
        // Statutory interest runs anyway: 1000 × 6 % × 121/365 = 19.89.
        assert_eq!(charge(&due, ChargeKind::Interest).unwrap().amount, eur(19_89));
    }

    #[test]
    fn a_letter_sent_before_default_does_not_count() {
        let c = consumer_claim(eur(1_000_00), date(2025, 1, 31));
        let due = charges_due(&c, &letter(date(2025, 1, 31)), date(2025, 6, 1), &rates()).unwrap();
        assert!(charge(&due, ChargeKind::CollectionCosts).is_none());
        assert!(
            withheld_reason(&due, "nl.bik").unwrap().contains("before the debtor was in default")
        );
    }

    /// §1.2 (HR 25-11-2016): a part of the principal paid within the term lowers the BIK, which is
    /// computed over the part still unpaid when the term expires.
    #[test]
    fn a_payment_inside_the_14_day_term_lowers_the_bik() {
        let mut c = consumer_claim(eur(1_000_00), date(2025, 1, 31));
        c.payments = vec![(date(2025, 2, 10), eur(400_00))];
        let due = charges_due(&c, &letter(date(2025, 2, 3)), date(2025, 3, 1), &rates()).unwrap();
        // Interest 1-10 Feb: 1000 × 6 % × 10/365 = 1.64, paid first (art. 6:44): principal 601.64.
        assert_eq!(due.principal_open, eur(60164));
        let bik = charge(&due, ChargeKind::CollectionCosts).unwrap();
        assert_eq!(bik.amount, eur(90_25)); // 15 % × 601.64 = 90.246
        assert!(
            bik.explanation.inputs.contains(&("principal_open_when_due".into(), "601.64".into()))
        );
        // Interest 11 Feb-1 Mar: 601.64 × 6 % × 19/365 = 1.88.
        let interest = charge(&due, ChargeKind::Interest).unwrap();
        assert_eq!(interest.amount, eur(1_88));
        assert_eq!(recompute_interest(&interest.explanation), eur(3_52));
        assert_eq!(due.total_due, eur(60164 + 1_88 + 90_25));
    }

    #[test]
    fn a_principal_paid_in_full_within_the_term_owes_no_collection_costs() {
        let mut c = consumer_claim(eur(1_000_00), date(2025, 1, 31));
        c.payments = vec![(date(2025, 2, 10), eur(100164))];
        let due = charges_due(&c, &letter(date(2025, 2, 3)), date(2025, 3, 1), &rates()).unwrap();
        assert_eq!(due.principal_open, eur(0));
        assert!(charge(&due, ChargeKind::CollectionCosts).is_none());
        assert!(
            withheld_reason(&due, "nl.bik").unwrap().contains("paid by the end of the 14-day term")
        );
        assert_eq!(due.total_due, eur(0));
    }

    #[test]
    fn a_payment_after_the_term_goes_to_the_collection_costs_first() {
        let mut c = consumer_claim(eur(1_000_00), date(2025, 1, 31));
        c.payments = vec![(date(2025, 3, 3), eur(200_00))];
        let due = charges_due(&c, &letter(date(2025, 2, 3)), date(2025, 3, 3), &rates()).unwrap();
        // BIK 150.00 first, then interest 1 Feb-3 Mar (31 days: 5.10), then principal 44.90.
        assert!(charge(&due, ChargeKind::CollectionCosts).is_none());
        assert!(charge(&due, ChargeKind::Interest).is_none());
        assert_eq!(due.principal_open, eur(955_10));
    }
}

mod nl_interest {
    use super::*;

    fn b2b_example() -> Claim {
        claim(OrgCountry::Nl, DebtorKind::Business, eur(10_000_00), date(2024, 3, 15))
    }

    /// §1.4 "Worked example, NL B2B compounding [C]": €10,000 due 15-03-2024, paid 16-03-2026,
    /// actual/365, rounded per sub-period; total interest 2,384.13 plus BIK 875.00.
    #[test]
    fn nl_b2b_compounding_worked_example_of_section_1_4() {
        let due =
            charges_due(&b2b_example(), &Notices::default(), date(2026, 3, 16), &rates()).unwrap();
        let interest = charge(&due, ChargeKind::Interest).unwrap();
        assert_eq!(interest.amount, eur(2_384_13));
        let rows: Vec<(Date, Date, i32, Decimal, Money, Money)> = interest
            .explanation
            .periods
            .iter()
            .map(|p| (p.from, p.to, p.days, p.rate, p.base, p.amount))
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    date(2024, 3, 16),
                    date(2024, 6, 30),
                    107,
                    dec("12.50"),
                    eur(10_000_00),
                    eur(366_44)
                ),
                (
                    date(2024, 7, 1),
                    date(2024, 12, 31),
                    184,
                    dec("12.25"),
                    eur(10_000_00),
                    eur(617_53)
                ),
                (
                    date(2025, 1, 1),
                    date(2025, 3, 15),
                    74,
                    dec("11.15"),
                    eur(10_000_00),
                    eur(226_05)
                ),
                (
                    date(2025, 3, 16),
                    date(2025, 6, 30),
                    107,
                    dec("11.15"),
                    eur(11_210_02),
                    eur(366_41)
                ),
                (
                    date(2025, 7, 1),
                    date(2025, 12, 31),
                    184,
                    dec("10.15"),
                    eur(11_210_02),
                    eur(573_58)
                ),
                (
                    date(2026, 1, 1),
                    date(2026, 3, 15),
                    74,
                    dec("10.15"),
                    eur(11_210_02),
                    eur(230_68)
                ),
                (date(2026, 3, 16), date(2026, 3, 16), 1, dec("10.15"), eur(12_380_69), eur(3_44)),
            ]
        );
        let steps = &interest.explanation.arithmetic;
        assert!(steps.iter().any(|s| s.contains("1210.02 added to the base → base 11210.02")));
        assert!(steps.iter().any(|s| s.contains("1170.67 added to the base → base 12380.69")));
        assert!(
            steps.contains(
                &"2024-03-16..2024-06-30: 10000.00 × 12.50% × 107/365 = 366.438356… → 366.44"
                    .to_owned()
            )
        );
        // The day count is not fixed by law (§1.4 [U]): the interest is marked unverified.
        assert!(!interest.explanation.verified);
        assert_eq!(interest.explanation.rule, "nl.interest.commercial");
        let bik = charge(&due, ChargeKind::CollectionCosts).unwrap();
        assert_eq!(bik.amount, eur(875_00));
        assert!(bik.explanation.article.contains("lid 4"));
        assert!(bik.explanation.verified);
        assert_eq!(due.total_due, eur(10_000_00 + 2_384_13 + 875_00));
    }

    #[test]
    fn paying_the_worked_examples_total_settles_everything_in_the_order_of_art_6_44() {
        let mut c = b2b_example();
        c.payments = vec![(date(2026, 3, 16), eur(13_259_13))];
        let due = charges_due(&c, &Notices::default(), date(2026, 3, 16), &rates()).unwrap();
        assert_eq!(due.total_due, eur(0));
        assert!(due.charges.is_empty());
        // A day later nothing more accrues.
        let later = charges_due(&c, &Notices::default(), date(2026, 4, 1), &rates()).unwrap();
        assert_eq!(later.total_due, eur(0));
    }

    #[test]
    fn a_partial_payment_goes_to_costs_then_interest_then_principal() {
        let mut c = b2b_example();
        c.payments = vec![(date(2024, 6, 30), eur(2_000_00))];
        let due = charges_due(&c, &Notices::default(), date(2024, 6, 30), &rates()).unwrap();
        // BIK 875.00, interest 366.44, principal 758.56.
        assert_eq!(due.principal_open, eur(10_000_00 - 758_56));
        assert!(due.charges.is_empty());
        // From 1 July the base is the lower principal.
        let later = charges_due(&c, &Notices::default(), date(2024, 7, 31), &rates()).unwrap();
        let interest = charge(&later, ChargeKind::Interest).unwrap();
        let last = interest.explanation.periods.last().unwrap();
        assert_eq!((last.base, last.days), (eur(9_241_44), 31));
        assert!(interest.explanation.arithmetic.iter().any(|s| s.contains(
            "2024-06-30: payment 2000.00 → costs 875.00, interest 366.44, principal 758.56"
        )));
    }

    #[test]
    fn a_rate_change_mid_period_splits_the_period() {
        let c = claim(OrgCountry::Nl, DebtorKind::Business, eur(1_000_00), date(2024, 6, 15));
        let due = charges_due(&c, &Notices::default(), date(2024, 7, 15), &rates()).unwrap();
        let p = &charge(&due, ChargeKind::Interest).unwrap().explanation.periods;
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].days, p[0].rate, p[0].amount), (15, dec("12.50"), eur(5_14)));
        assert_eq!((p[1].days, p[1].rate, p[1].amount), (15, dec("12.25"), eur(5_03)));
    }

    #[test]
    fn a_leap_year_counts_366_days_over_365_by_default_and_over_366_on_request() {
        // Statutory interest 7 % in 2024 (Stb. 2023, 484), 1 January-31 December 2024.
        let c = claim(OrgCountry::Nl, DebtorKind::Consumer, eur(1_000_00), date(2023, 12, 31));
        let due = charges_due(&c, &Notices::default(), date(2024, 12, 31), &rates()).unwrap();
        let i = charge(&due, ChargeKind::Interest).unwrap();
        assert_eq!(i.explanation.periods[0].days, 366);
        assert_eq!(i.amount, eur(70_19)); // 1000 × 7 % × 366/365
        let out = nl::charges(
            &c,
            &Notices::default(),
            date(2024, 12, 31),
            &rates(),
            DayCount::ActualActual,
        )
        .unwrap();
        let i = out.charges.iter().find(|c| c.kind == ChargeKind::Interest).unwrap();
        assert_eq!(i.amount, eur(70_00));
    }

    #[test]
    fn interest_stops_where_the_rate_table_ends_and_says_why() {
        // §1.5: the commercial rate from 1-7-2026 is not known [U].
        let c = claim(OrgCountry::Nl, DebtorKind::Business, eur(1_000_00), date(2026, 5, 31));
        let due = charges_due(&c, &Notices::default(), date(2026, 9, 30), &rates()).unwrap();
        let i = charge(&due, ChargeKind::Interest).unwrap();
        assert_eq!(i.explanation.periods.last().unwrap().to, date(2026, 6, 30));
        let reason = withheld_reason(&due, "nl.interest.commercial").unwrap();
        assert!(
            reason.contains("from 2026-07-01") && reason.contains("nl_commercial.txt"),
            "{reason}"
        );
        // With an override table that knows the rate, the interest runs on.
        let mut tables = rates();
        let text = format!("{}\n", RateKind::NlCommercial.builtin_text())
            .replace("2026-07-01,?,", "2026-07-01,10.00,");
        tables.replace(RateKind::NlCommercial, &text).unwrap();
        let due = charges_due(&c, &Notices::default(), date(2026, 9, 30), &tables).unwrap();
        assert!(withheld_reason(&due, "nl.interest.commercial").is_none());
        assert_eq!(
            charge(&due, ChargeKind::Interest).unwrap().explanation.periods.last().unwrap().to,
            date(2026, 9, 30)
        );
    }

    #[test]
    fn the_2026_statutory_rate_is_marked_unverified() {
        // §1.5: 2026-01-01 4 % is [S/U].
        let t = rates();
        let row = t.get(RateKind::NlStatutory).row_on(date(2026, 2, 1)).unwrap();
        assert_eq!(row.rate_percent, Some(dec("4.00")));
        assert!(!row.verified);
        assert_eq!(t.get(RateKind::NlStatutory).rate_on(date(2014, 12, 31)).unwrap(), dec("3.00"));
        assert_eq!(t.get(RateKind::NlStatutory).rate_on(date(2015, 1, 1)).unwrap(), dec("2.00"));
    }

    #[test]
    fn contractual_interest_is_simple_and_marked_unverified() {
        let mut c = claim(OrgCountry::Nl, DebtorKind::Business, eur(1_000_00), date(2024, 1, 31));
        c.terms.contractual_interest_percent = Some(dec("12"));
        let due = charges_due(&c, &Notices::default(), date(2026, 1, 31), &rates()).unwrap();
        let i = charge(&due, ChargeKind::Interest).unwrap();
        assert_eq!(i.explanation.rule, "nl.interest.contractual");
        // 731 days, one period, no capitalisation: 1000 × 12 % × 731/365 = 240.33.
        assert_eq!(i.amount, eur(240_33));
        assert!(!i.explanation.verified);
    }

    #[test]
    fn nothing_is_charged_before_the_due_date_has_passed() {
        let c = b2b_example();
        let due = charges_due(&c, &Notices::default(), date(2024, 3, 15), &rates()).unwrap();
        assert!(due.charges.is_empty());
        assert_eq!(due.total_due, eur(10_000_00));
        assert!(withheld_reason(&due, "nl.bik").unwrap().contains("Not overdue"));
    }

    #[test]
    fn the_nl_commercial_table_matches_its_formula() {
        // §1.4: MRO at the start of the half-year + 8 (+ 7 before 16-03-2013), not rounded.
        let t = rates();
        let mro = t.get(RateKind::EcbMro);
        for row in t.get(RateKind::NlCommercial).rows() {
            let Some(rate) = row.rate_percent else { continue };
            let reference_day =
                if row.valid_from == date(2013, 3, 16) { date(2013, 1, 1) } else { row.valid_from };
            let reference = mro.rate_on(reference_day).unwrap();
            assert_eq!(
                nl::commercial_rate_for_reference(reference, row.valid_from),
                rate,
                "{row:?}"
            );
        }
    }
}

mod allocation {
    use super::*;

    #[test]
    fn art_6_44_fills_costs_then_interest_then_principal() {
        let a = |c, i, p, pay| allocate_payment_6_44(eur(c), eur(i), eur(p), eur(pay)).unwrap();
        assert_eq!(a(40_00, 10_00, 100_00, 30_00), (eur(30_00), eur(0), eur(0)));
        assert_eq!(a(40_00, 10_00, 100_00, 45_00), (eur(40_00), eur(5_00), eur(0)));
        assert_eq!(a(40_00, 10_00, 100_00, 200_00), (eur(40_00), eur(10_00), eur(150_00)));
        assert_eq!(a(-5_00, 0, 100_00, 10_00), (eur(0), eur(0), eur(10_00)));
    }

    proptest! {
        #[test]
        fn the_allocation_of_6_44_sums_to_the_payment(
            c in -1_000_00_i64..100_000_00, i in -1_000_00_i64..100_000_00,
            p in -1_000_00_i64..1_000_000_00, pay in 0_i64..2_000_000_00,
        ) {
            let (tc, ti, tp) = allocate_payment_6_44(eur(c), eur(i), eur(p), eur(pay)).unwrap();
            prop_assert_eq!(tc.minor() + ti.minor() + tp.minor(), pay);
            prop_assert!(tc.minor() >= 0 && ti.minor() >= 0 && tp.minor() >= 0);
            prop_assert!(tc.minor() <= c.max(0) && ti.minor() <= i.max(0));
            // Interest only gets money once the costs are paid, principal once the interest is.
            prop_assert!(ti.is_zero() || tc.minor() == c.max(0));
            prop_assert!(tp.is_zero() || ti.minor() == i.max(0));
        }
    }
}

mod be_rules {
    use super::*;

    /// §2.1 "Worked example, BE B2B (simple, actual/365) [C]": €10,000 due 31-05-2025, paid
    /// 29-08-2025 → 94.52 + 172.60 = 267.12 interest + €40.
    #[test]
    fn be_b2b_worked_example_of_section_2_1() {
        let c = claim(OrgCountry::Be, DebtorKind::Business, eur(10_000_00), date(2025, 5, 31));
        let due = charges_due(&c, &Notices::default(), date(2025, 8, 29), &rates()).unwrap();
        let i = charge(&due, ChargeKind::Interest).unwrap();
        let rows: Vec<_> = i
            .explanation
            .periods
            .iter()
            .map(|p| (p.from, p.to, p.days, p.rate, p.amount))
            .collect();
        assert_eq!(
            rows,
            vec![
                (date(2025, 6, 1), date(2025, 6, 30), 30, dec("11.5"), eur(94_52)),
                (date(2025, 7, 1), date(2025, 8, 29), 60, dec("10.5"), eur(172_60)),
            ]
        );
        assert_eq!(i.amount, eur(267_12));
        assert!(i.explanation.verified);
        let flat = charge(&due, ChargeKind::CollectionCosts).unwrap();
        assert_eq!(flat.amount, eur(40_00));
        assert_eq!(flat.explanation.rule, "be.b2b.compensation");
        assert!(flat.explanation.article.contains("C-78/22"));
        assert_eq!(due.total_due, eur(10_307_12));
    }

    #[test]
    fn be_b2b_interest_is_simple_over_years() {
        let c = claim(OrgCountry::Be, DebtorKind::Business, eur(1_000_00), date(2017, 12, 31));
        let due = charges_due(&c, &Notices::default(), date(2019, 12, 31), &rates()).unwrap();
        let i = charge(&due, ChargeKind::Interest).unwrap();
        assert!(i.explanation.periods.iter().all(|p| p.base == eur(1_000_00)));
        // Four half-years at 8 %: 1000 × 8 % × 730/365 = 160.00, split per half-year.
        assert_eq!(i.amount, eur(160_00));
    }

    #[test]
    fn be_b2b_partial_payments_reduce_the_principal_first_and_are_marked_unverified() {
        let mut c = claim(OrgCountry::Be, DebtorKind::Business, eur(10_000_00), date(2025, 5, 31));
        c.payments = vec![(date(2025, 6, 30), eur(5_000_00))];
        let due = charges_due(&c, &Notices::default(), date(2025, 8, 29), &rates()).unwrap();
        assert_eq!(due.principal_open, eur(5_000_00));
        let i = charge(&due, ChargeKind::Interest).unwrap();
        // 94.52 on 10,000 in June, then 5,000 × 10.5 % × 60/365 = 86.30.
        assert_eq!(i.amount, eur(94_52 + 86_30));
        assert!(!i.explanation.verified);
        assert_eq!(charge(&due, ChargeKind::CollectionCosts).unwrap().amount, eur(40_00));
    }

    #[test]
    fn the_be_b2b_table_matches_its_formula_from_16_march_2013() {
        // §2.1: reference rate on 1 January / 1 July + 8, rounded up to the next half point.
        let t = rates();
        let mro = t.get(RateKind::EcbMro);
        for row in t.get(RateKind::BeB2b).rows() {
            let Some(rate) = row.rate_percent else { continue };
            if row.valid_from < date(2013, 3, 16) {
                continue;
            }
            let reference_day =
                if row.valid_from == date(2013, 3, 16) { date(2013, 1, 1) } else { row.valid_from };
            let reference = mro.rate_on(reference_day).unwrap();
            assert_eq!(be::b2b_rate_for_reference(reference), rate, "{row:?}");
        }
    }

    /// §2.3 "Example: a paper reminder sent on Thu 7 Aug → 3rd working day is Tue 12 Aug → the
    /// period runs 12 Aug-25 Aug, and costs can be claimed from 26 Aug." [U: the three-working-day
    /// convention is the sources' paraphrase.]
    #[test]
    fn be_b2c_waiting_period_example_of_section_2_3() {
        let w = waiting_period(date(2025, 8, 7), ReminderChannel::Paper);
        assert_eq!(w.start, date(2025, 8, 12));
        assert_eq!(w.end, date(2025, 8, 25));
        assert_eq!(w.charges_from, date(2025, 8, 26));
        assert!(!w.verified);
        let e = waiting_period(date(2025, 8, 7), ReminderChannel::Electronic);
        assert_eq!(
            (e.start, e.end, e.charges_from),
            (date(2025, 8, 8), date(2025, 8, 21), date(2025, 8, 22))
        );
        assert!(e.verified);
    }

    #[test]
    fn a_paper_reminder_before_a_holiday_starts_later() {
        // Wednesday 13 August 2025: Thursday (1), Friday 15 August is a holiday, Monday (2),
        // Tuesday (3).
        assert_eq!(
            waiting_period(date(2025, 8, 13), ReminderChannel::Paper).start,
            date(2025, 8, 19)
        );
    }

    /// §2.3 "Examples" table of the damages caps of art. XIX.4 WER.
    #[test]
    fn be_b2c_damages_caps_of_section_2_3() {
        let table = [
            (100_00, 20_00),
            (150_00, 20_00),
            (150_01, 30_00),
            (300_00, 45_00),
            (500_00, 65_00),
            (1_000_00, 90_00),
            (5_000_00, 290_00),
            (39_200_00, 2_000_00),
            (100_000_00, 2_000_00),
        ];
        for (outstanding, cap) in table {
            assert_eq!(b2c_damages_max(eur(outstanding)).unwrap(), eur(cap), "{outstanding}");
        }
        assert_eq!(b2c_damages_max(eur(39_199_00)).unwrap(), eur(1_999_95));
        assert_eq!(b2c_damages_max(eur(500_01)).unwrap(), eur(65_00)); // 65.0005 → 65.00
        assert_eq!(b2c_damages_max(eur(0)).unwrap(), eur(0));
    }

    fn b2c(principal: Money) -> Claim {
        let mut c = claim(OrgCountry::Be, DebtorKind::Consumer, principal, date(2025, 7, 31));
        c.issue_date = date(2025, 7, 1);
        c.terms.be_b2c_damages_clause = true;
        c.terms.contractual_interest_percent = Some(dec("12"));
        c
    }

    fn reminder(sent: Date) -> Notices {
        Notices { be_first_reminder_sent: Some(sent), ..Notices::default() }
    }

    #[test]
    fn be_b2c_nothing_without_a_first_reminder() {
        let due =
            charges_due(&b2c(eur(1_000_00)), &Notices::default(), date(2025, 10, 1), &rates())
                .unwrap();
        assert!(due.charges.is_empty());
        assert!(withheld_reason(&due, "be.b2c.damages").unwrap().contains("No first reminder"));
        assert!(withheld_reason(&due, "be.b2c.interest").unwrap().contains("No first reminder"));
        assert_eq!(due.total_due, eur(1_000_00));
    }

    #[test]
    fn be_b2c_nothing_during_the_waiting_period() {
        let due = charges_due(
            &b2c(eur(1_000_00)),
            &reminder(date(2025, 8, 7)),
            date(2025, 8, 25),
            &rates(),
        )
        .unwrap();
        assert!(due.charges.is_empty());
        let reason = withheld_reason(&due, "be.b2c.damages").unwrap();
        assert!(reason.contains("2025-08-12..2025-08-25") && reason.contains("90.00"), "{reason}");
    }

    #[test]
    fn be_b2c_damages_and_capped_interest_after_the_waiting_period() {
        let due = charges_due(
            &b2c(eur(1_000_00)),
            &reminder(date(2025, 8, 7)),
            date(2025, 9, 4),
            &rates(),
        )
        .unwrap();
        let damages = charge(&due, ChargeKind::CollectionCosts).unwrap();
        assert_eq!(damages.amount, eur(90_00));
        assert_eq!(damages.explanation.rule, "be.b2c.damages");
        assert!(!damages.explanation.verified, "paper start of the waiting period is [U]");
        let i = charge(&due, ChargeKind::Interest).unwrap();
        // From 26 August (conservative start [U]) to 4 September: 10 days at min(12, 10.5) %.
        let p = &i.explanation.periods;
        assert_eq!((p[0].from, p[0].days, p[0].rate), (date(2025, 8, 26), 10, dec("10.5")));
        assert_eq!(i.amount, eur(2_88)); // 1000 × 10.5 % × 10/365 = 2.876
        assert!(!i.explanation.verified);
        assert_eq!(due.total_due, eur(1_000_00 + 90_00 + 2_88));
    }

    #[test]
    fn be_b2c_interest_from_the_due_date_on_request() {
        let c = b2c(eur(1_000_00));
        let out = be::b2c_charges(
            &c,
            &reminder(date(2025, 8, 7)),
            date(2025, 9, 4),
            &rates(),
            ReminderChannel::Paper,
            B2cInterestStart::DayAfterDueDate,
        )
        .unwrap();
        let i = out.charges.iter().find(|c| c.kind == ChargeKind::Interest).unwrap();
        assert_eq!(i.explanation.periods[0].from, date(2025, 8, 1));
        assert_eq!(i.amount, eur(10_07)); // 1000 × 10.5 % × 35/365 = 10.068
    }

    #[test]
    fn be_b2c_without_clauses_only_the_principal_is_due() {
        let mut c = b2c(eur(1_000_00));
        c.terms.be_b2c_damages_clause = false;
        c.terms.contractual_interest_percent = None;
        let due = charges_due(&c, &reminder(date(2025, 8, 7)), date(2025, 9, 4), &rates()).unwrap();
        assert!(due.charges.is_empty());
        assert!(withheld_reason(&due, "be.b2c.damages").unwrap().contains("expressly stipulated"));
        assert!(withheld_reason(&due, "be.b2c.interest").unwrap().contains("expressly stipulated"));
    }

    #[test]
    fn be_b2c_a_balance_paid_within_the_waiting_period_owes_no_damages() {
        let mut c = b2c(eur(1_000_00));
        c.payments = vec![(date(2025, 8, 20), eur(1_000_00))];
        let due = charges_due(&c, &reminder(date(2025, 8, 7)), date(2025, 9, 4), &rates()).unwrap();
        assert!(due.charges.is_empty());
        assert!(withheld_reason(&due, "be.b2c.damages").unwrap().contains("paid within"));
        assert_eq!(due.total_due, eur(0));
    }

    #[test]
    fn be_b2c_older_contracts_before_december_2023_are_out_of_scope() {
        let mut c = b2c(eur(1_000_00));
        c.issue_date = date(2023, 6, 1);
        c.due_date = date(2023, 7, 1);
        let due =
            charges_due(&c, &reminder(date(2023, 7, 10)), date(2023, 9, 4), &rates()).unwrap();
        assert!(due.charges.is_empty());
        assert!(withheld_reason(&due, "be.b2c.damages").unwrap().contains("not implemented"));
        // The same contract, with a delay from 1 December 2023, falls under Book XIX.
        c.due_date = date(2023, 11, 30);
        let due =
            charges_due(&c, &reminder(date(2023, 12, 4)), date(2024, 2, 1), &rates()).unwrap();
        assert_eq!(charge(&due, ChargeKind::CollectionCosts).unwrap().amount, eur(90_00));
    }

    #[test]
    fn the_first_reminders_mandatory_content_is_data() {
        let ids: Vec<&str> = be::FIRST_REMINDER_CONTENT.iter().map(|r| r.id).collect();
        assert!(ids.contains(&"creditor_name_and_enterprise_number"));
        assert!(ids.contains(&"payment_period_14_days"));
        assert_eq!(be::B2C_REMINDER_FEE_MAX_EXCL_POSTAGE, eur(7_50));
    }

    #[test]
    fn the_be_legal_interest_rates_of_section_2_2() {
        let t = rates();
        let legal = t.get(RateKind::BeLegal);
        assert_eq!(legal.rate_on(date(2023, 6, 1)).unwrap(), dec("5.25"));
        assert!(legal.row_on(date(2023, 6, 1)).unwrap().verified);
        assert!(!legal.row_on(date(2024, 6, 1)).unwrap().verified, "2024 is [C/U]");
        assert!(!legal.row_on(date(2025, 6, 1)).unwrap().verified, "2025 is [S/U]");
        assert!(legal.rate_on(date(2026, 6, 1)).is_err(), "2026 is not known");
    }
}

mod eu_rules {
    use super::*;

    #[test]
    fn the_directive_rate_is_the_reference_rate_plus_8_per_half_year() {
        let table = eu::directive_rate_table(rates().get(RateKind::EcbMro)).unwrap();
        assert_eq!(table.rate_on(date(2013, 3, 16)).unwrap(), dec("8.75"));
        assert_eq!(table.rate_on(date(2024, 3, 1)).unwrap(), dec("12.50"));
        assert_eq!(table.rate_on(date(2024, 9, 1)).unwrap(), dec("12.25"));
        assert_eq!(table.rate_on(date(2025, 9, 1)).unwrap(), dec("10.15"));
        assert_eq!(table.rate_on(date(2026, 3, 1)).unwrap(), dec("10.15"));
        assert!(table.rate_on(date(2026, 7, 1)).is_err(), "MRO after 05-02-2026 not known");
        assert!(table.rate_on(date(2013, 3, 15)).is_err(), "before the transposition deadline");
    }

    #[test]
    fn eu_fallback_interest_is_simple_with_40_per_invoice() {
        let c = claim(OrgCountry::Be, DebtorKind::Business, eur(10_000_00), date(2025, 5, 31));
        let due = eu::b2b_charges(
            &c,
            &Notices::default(),
            date(2025, 8, 29),
            &rates(),
            DayCount::Actual365,
        )
        .unwrap();
        let i = charge(&due, ChargeKind::Interest).unwrap();
        // 10000 × 11.15 % × 30/365 = 91.64; 10000 × 10.15 % × 60/365 = 166.85.
        assert_eq!(i.amount, eur(9164 + 166_85));
        assert_eq!(i.explanation.rule, "eu.interest");
        assert!(i.explanation.verified);
        assert_eq!(charge(&due, ChargeKind::CollectionCosts).unwrap().amount, eur(40_00));
        assert_eq!(due.total_due, eur(10_000_00 + 258_49 + 40_00));
    }

    #[test]
    fn eu_fallback_does_not_cover_consumers() {
        let c = claim(OrgCountry::Be, DebtorKind::Consumer, eur(1_000_00), date(2025, 5, 31));
        let due = eu::b2b_charges(
            &c,
            &Notices::default(),
            date(2025, 8, 29),
            &rates(),
            DayCount::Actual365,
        )
        .unwrap();
        assert!(due.charges.is_empty());
        assert!(withheld_reason(&due, "eu.compensation").unwrap().contains("not consumers"));
    }
}

mod entry_point {
    use super::*;

    #[test]
    fn fees_already_charged_pass_through_into_the_total() {
        let fee = Charge {
            kind: ChargeKind::Fee,
            amount: eur(7_50),
            explanation: Explanation {
                rule: "fee.reminder".into(),
                article: "contract".into(),
                text: "Reminder fee.".into(),
                inputs: vec![],
                periods: vec![],
                arithmetic: vec!["fee = 7.50".into()],
                verified: true,
            },
        };
        let c = claim(OrgCountry::Be, DebtorKind::Business, eur(10_000_00), date(2025, 5, 31));
        let notices = Notices { fees_charged: vec![fee.clone()], ..Notices::default() };
        let due = charges_due(&c, &notices, date(2025, 8, 29), &rates()).unwrap();
        assert_eq!(charge(&due, ChargeKind::Fee), Some(&fee));
        assert_eq!(due.total_due, eur(10_307_12 + 7_50));
    }

    #[test]
    fn the_json_contract_is_snake_case_with_money_objects() {
        let c = claim(OrgCountry::Be, DebtorKind::Business, eur(10_000_00), date(2025, 5, 31));
        let due = charges_due(&c, &Notices::default(), date(2025, 8, 29), &rates()).unwrap();
        let json = serde_json::to_value(&due).unwrap();
        assert_eq!(
            json["principal_open"],
            serde_json::json!({"amount": "10000.00", "currency": "EUR"})
        );
        let interest = &json["charges"][0];
        assert_eq!(interest["kind"], "interest");
        assert_eq!(interest["explanation"]["rule"], "be.b2b.interest");
        assert_eq!(interest["explanation"]["periods"][0]["from"], "2025-06-01");
        assert_eq!(interest["explanation"]["periods"][0]["rate"], "11.5");
        assert_eq!(
            interest["explanation"]["inputs"][0],
            serde_json::json!(["principal", "10000.00"])
        );
        assert_eq!(json["charges"][1]["kind"], "collection_costs");
        assert_eq!(json["total_due"]["amount"], "10307.12");
    }

    #[test]
    fn a_claim_in_another_currency_is_refused() {
        let usd = Currency::parse("USD").unwrap();
        let c = claim(
            OrgCountry::Nl,
            DebtorKind::Business,
            Money::from_minor(100, usd),
            date(2025, 5, 31),
        );
        assert!(charges_due(&c, &Notices::default(), date(2025, 8, 29), &rates()).is_err());
    }

    #[test]
    fn a_reversed_payment_counts_as_never_made() {
        let mut c = claim(OrgCountry::Be, DebtorKind::Business, eur(1_000_00), date(2025, 5, 31));
        c.payments = vec![(date(2025, 5, 30), eur(1_000_00)), (date(2025, 6, 10), eur(-1_000_00))];
        let due = charges_due(&c, &Notices::default(), date(2025, 6, 30), &rates()).unwrap();
        assert_eq!(due.principal_open, eur(1_000_00));
        // Late from 1 June: 1000 × 11.5 % × 30/365 = 9.45, and the flat €40.
        assert_eq!(charge(&due, ChargeKind::Interest).unwrap().amount, eur(9_45));
        assert_eq!(charge(&due, ChargeKind::CollectionCosts).unwrap().amount, eur(40_00));
        // Before the reversal was booked, the invoice was paid on time.
        let before = charges_due(&c, &Notices::default(), date(2025, 6, 9), &rates()).unwrap();
        assert_eq!(before.total_due, eur(0));
    }

    #[test]
    fn a_reversal_without_an_earlier_payment_reopens_principal_on_its_date() {
        let mut c = claim(OrgCountry::Be, DebtorKind::Business, eur(1_000_00), date(2025, 5, 31));
        c.payments = vec![(date(2025, 6, 10), eur(-100_00))];
        let due = charges_due(&c, &Notices::default(), date(2025, 6, 30), &rates()).unwrap();
        assert_eq!(due.principal_open, eur(1_100_00));
        let p = &charge(&due, ChargeKind::Interest).unwrap().explanation.periods;
        assert_eq!(
            (p[0].days, p[0].base, p[1].days, p[1].base),
            (10, eur(1_000_00), 20, eur(1_100_00))
        );
    }

    #[test]
    fn every_builtin_table_parses_and_names_its_sources() {
        let t = rates();
        for kind in RateKind::ALL {
            let table = t.get(*kind);
            assert!(table.rows().iter().all(|r| !r.source.is_empty()), "{kind}");
            assert!(RateTable::parse(*kind, kind.builtin_text()).is_ok());
        }
    }

    fn any_claim() -> impl Strategy<Value = (Claim, Date)> {
        (
            prop_oneof![Just(OrgCountry::Nl), Just(OrgCountry::Be)],
            prop_oneof![Just(DebtorKind::Business), Just(DebtorKind::Consumer)],
            1_i64..500_000_00,
            0_i32..3_000,
            0_i32..1_500,
            proptest::collection::vec((0_i32..1_500, -100_000_i64..600_000_00), 0..4),
            any::<bool>(),
        )
            .prop_map(
                |(creditor, kind, principal, due_offset, as_of_offset, pays, clauses)| {
                    let due = arflow_core::date::add_days(date(2017, 1, 1), due_offset);
                    let mut c = claim(creditor, kind, eur(principal), due);
                    c.payments = pays
                        .into_iter()
                        .map(|(d, a)| (arflow_core::date::add_days(due, d - 30), eur(a)))
                        .collect();
                    c.terms.be_b2c_damages_clause = clauses;
                    c.terms.vat_deductible = clauses;
                    (c, arflow_core::date::add_days(due, as_of_offset))
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn interest_is_never_negative_and_explanations_add_up(
            (c, as_of) in any_claim(),
            sent in 0_i32..60,
        ) {
            let after_due = |days| arflow_core::date::add_days(c.due_date, days);
            let notices = Notices {
                nl_fourteen_day_letter_sent: Some(after_due(sent)),
                be_first_reminder_sent: Some(after_due(sent)),
                fees_charged: vec![],
            };
            let due = charges_due(&c, &notices, as_of, &rates()).unwrap();
            let mut total = due.principal_open;
            for ch in &due.charges {
                let e = &ch.explanation;
                prop_assert!(ch.amount.is_positive(), "{ch:?}");
                prop_assert!(!e.arithmetic.is_empty());
                prop_assert!(e.periods.iter().all(|p| !p.amount.is_negative() && p.days > 0));
                if ch.kind == ChargeKind::Interest {
                    prop_assert!(recompute_interest(e).minor() >= ch.amount.minor());
                    prop_assert!(e.periods.iter().all(|p| p.from >= after_due(1) && p.to <= as_of));
                }
                total = total.checked_add(ch.amount).unwrap();
            }
            prop_assert_eq!(total, due.total_due);
        }
    }
}
