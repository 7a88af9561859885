//! `long double` against vectors from glibc and the x87 unit
//! (`data/num/gen_vectors.c`): `strtold` under Redis's `string2ld` rules, `+`,
//! and Redis's LD_STR_HUMAN (`%.17Lf`, trimmed) and LD_STR_AUTO (`%.17Lg`).

use redsim_model::num::LongDouble;

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

/// Compares a value with C's "S EXP MANT", human and auto fields; "~" marks a
/// human string the generator left out for size.
fn check(what: &str, v: LongDouble, fields: &[&str], failures: &mut Vec<String>) {
    let (neg, exp, mant) = v.to_bits();
    let bits = format!("{} {exp:04x} {mant:016x}", neg as u8);
    let (human, auto) = (v.to_human_string(), v.to_auto_string());
    if bits != fields[0] {
        failures.push(format!("{what}: bits {bits}, C {}", fields[0]));
    } else if fields[1] != "~" && human != fields[1] {
        failures.push(format!("{what}: human {human}, C {}", fields[1]));
    } else if auto != fields[2] {
        failures.push(format!("{what}: auto {auto}, C {}", fields[2]));
    }
}

#[test]
fn strtold_matches_glibc_under_redis_rules() {
    let text = vectors("ld_parse.txt");
    let mut failures = Vec::new();
    let mut total = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let input = fields[0];
        total += 1;
        match (LongDouble::parse(input.as_bytes()), fields.len()) {
            (None, 2) if fields[1] == "err" => {}
            (Some(v), 4) => check(&format!("{input:?}"), v, &fields[1..], &mut failures),
            (got, _) => failures.push(format!("{input:?}: got {got:?}, C {:?}", &fields[1..])),
        }
    }
    report(&failures, total);
}

#[test]
fn addition_matches_x87() {
    let text = vectors("ld_add.txt");
    let mut failures = Vec::new();
    let mut total = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "bad line {line:?}");
        let (Some(a), Some(b)) = (LongDouble::parse(fields[0].as_bytes()), LongDouble::parse(fields[1].as_bytes()))
        else {
            failures.push(format!("{} + {}: operand rejected", fields[0], fields[1]));
            continue;
        };
        total += 1;
        check(&format!("{} + {}", fields[0], fields[1]), a.add(b), &fields[2..], &mut failures);
    }
    report(&failures, total);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn any_bytes_parse_without_panic(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Some(v) = LongDouble::parse(&b) {
                let _ = (v.to_human_string(), v.to_auto_string());
            }
        }

        #[test]
        fn numeric_text_parses_without_panic(
            sign in "[-+]?", int in "[0-9]{0,30}", frac in "[0-9]{0,30}", e in -6000i32..6000, hex in any::<bool>()
        ) {
            let text = if hex {
                format!("{sign}0x{int}.{frac}p{e}")
            } else {
                format!("{sign}{int}.{frac}e{e}")
            };
            if let Some(v) = LongDouble::parse(text.as_bytes()) {
                let _ = (v.to_human_string(), v.to_auto_string(), v.add(v));
            }
        }

        #[test]
        fn f64_conversion_round_trips(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(!v.is_nan());
            prop_assert_eq!(LongDouble::from_f64(v).to_f64().to_bits(), bits);
        }

        #[test]
        fn integers_print_exactly(i in any::<i64>()) {
            let v = LongDouble::from_i64(i);
            prop_assert_eq!(v.to_human_string(), i.to_string());
            prop_assert_eq!(LongDouble::parse(i.to_string().as_bytes()), Some(v));
        }

        #[test]
        fn small_integer_sums_are_exact(a in -(1i64 << 62)..(1i64 << 62), b in -(1i64 << 62)..(1i64 << 62)) {
            let sum = LongDouble::from_i64(a).add(LongDouble::from_i64(b));
            prop_assert_eq!(sum.to_human_string(), (a + b).to_string());
            prop_assert_eq!(sum, LongDouble::from_i64(b) + LongDouble::from_i64(a));
        }
    }
}
