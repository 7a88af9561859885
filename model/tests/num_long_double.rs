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
