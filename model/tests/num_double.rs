//! Doubles against vectors from glibc (`data/num/gen_vectors.c`): `strtod`
//! under Redis's acceptance rules, and `printf("%.*g")`.

use redsim_model::num::{fmt_g, fmt_g17, parse_f64};

fn vectors(name: &str) -> String {
    let path = format!("{}/tests/data/num/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn report(failures: &[String], total: usize) {
    assert!(total > 1000, "too few vectors: {total}");
    assert!(
        failures.is_empty(),
        "{} of {total} vectors differ:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn printf_g_matches_glibc() {
    let text = vectors("f64_fmt.txt");
    let mut failures = Vec::new();
    let mut total = 0;
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(bits), Some(prec), Some(want)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("bad line {line:?}");
        };
        let v = f64::from_bits(u64::from_str_radix(bits, 16).expect("bits"));
        let prec: usize = prec.parse().expect("precision");
        let got = if prec == 17 { fmt_g17(v) } else { fmt_g(v, prec) };
        total += 1;
        if got != want {
            failures.push(format!("{bits} %.{prec}g: got {got}, glibc {want}"));
        }
    }
    report(&failures, total);
}

#[test]
fn strtod_matches_glibc_under_redis_rules() {
    let text = vectors("f64_parse.txt");
    let mut failures = Vec::new();
    let mut total = 0;
    for line in text.lines() {
        let (input, want) = line.rsplit_once('\t').expect("tab");
        let got = match parse_f64(input.as_bytes()) {
            None => "err".to_string(),
            Some(v) => format!("{:016x}", v.to_bits()),
        };
        total += 1;
        if got != want {
            failures.push(format!("{input:?}: got {got}, glibc {want}"));
        }
    }
    report(&failures, total);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn any_bytes_parse_without_panic(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = parse_f64(&b);
        }

        #[test]
        fn g17_round_trips(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            let text = fmt_g17(v);
            prop_assert_eq!(parse_f64(text.as_bytes()).map(f64::to_bits), Some(bits), "{}", text);
        }

        #[test]
        fn g_of_any_precision_round_trips_at_17_and_more(bits in any::<u64>(), p in 17usize..40) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            prop_assert_eq!(parse_f64(fmt_g(v, p).as_bytes()).map(f64::to_bits), Some(bits));
        }
    }
}
