//! Property-based fuzzing of every text parser the library exposes (issue #7): profile, noise and
//! FSM specs, data-set specs, pruning methods, master seeds, the MPFR reference tables and the
//! `.npy` reader. Each
//! parser gets `CASES` arbitrary strings and `CASES` strings from its own grammar with random
//! numbers and punctuation (which reach the validation code); it must return Ok or a typed error
//! without panicking, and the whole file runs in seconds (no hang). A string that parses must
//! survive its own validation (profiles evaluate to finite non-negative values on [0, 1], the
//! noise law's tail is a probability).

use pai_graphon::convergence::limit::Fsm;
use pai_graphon::convergence::noise::Noise;
use pai_graphon::convergence::profile::Profile;
use pai_graphon::net::criteria::Method;
use pai_graphon::net::data::DataSpec;
use pai_graphon::normal::parse_reference_table;
use pai_graphon::npy::{decode_f64, decode_masks, encode_f64, encode_u8};
use pai_graphon::seed::MasterSeed;
use proptest::prelude::*;

/// Cases per strategy and parser: 2 strategies × 7 text parsers × 4096 = 57 344 inputs, plus
/// the `.npy` reader: 2 × 4096 arbitrary byte strings (bare and behind the magic) and 4096
/// damaged valid files, each through both decoders (24 576 decodes).
const CASES: u32 = 4096;

/// Numbers as a user might mistype them.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|x| x.to_string()),
        (-1000i64..1000).prop_map(|x| x.to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("1e-320".to_string()),
        Just("".to_string()),
        Just("-0".to_string()),
        "[0-9.eE+-]{1,12}",
    ]
}

fn numbers() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(number(), 0..6),
        prop_oneof![Just(","), Just(";"), Just(", ")],
    )
        .prop_map(|(v, sep)| v.join(sep))
}

fn profile_spec() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("const"),
            Just("affine"),
            Just("power"),
            Just("exp"),
            Just("step"),
            Just("empirical"),
            Just("gaussian"),
            Just("uniform"),
            Just("bogus"),
            Just(""),
        ],
        prop_oneof![Just(":"), Just(""), Just("::")],
        numbers(),
        prop::option::of((Just(";"), numbers())),
    )
        .prop_map(|(kind, colon, a, b)| {
            let tail = b.map(|(s, n)| format!("{s}{n}")).unwrap_or_default();
            format!("{kind}{colon}{a}{tail}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn profile_parser_never_panics(a in "\\PC{0,40}", b in profile_spec()) {
        for spec in [a, b] {
            if let Ok(p) = Profile::parse(&spec) {
                for u in [0.0, 0.3, 0.5, 1.0] {
                    let v = p.value(u);
                    prop_assert!(v.is_finite() && v >= 0.0, "{spec}: φ({u}) = {v}");
                }
            }
        }
    }

    #[test]
    fn noise_parser_never_panics(a in "\\PC{0,40}", b in profile_spec()) {
        for spec in [a, b] {
            if let Ok(n) = Noise::parse(&spec) {
                for x in [0.0, 0.5, 3.0] {
                    let t = pai_graphon::convergence::noise::NoiseLaw::tail(n.law(), x);
                    prop_assert!((0.0..=1.0).contains(&t), "{spec}: tail({x}) = {t}");
                }
            }
        }
    }

    #[test]
    fn fsm_parser_never_panics(r in profile_spec(), c in profile_spec(), n in profile_spec(), junk in "\\PC{0,20}") {
        let _ = Fsm::parse(&r, &c, &n);
        let _ = Fsm::parse(&junk, &c, &n);
        let _ = Fsm::parse_spec(&format!("{r};{c};{n}"));
        let _ = Fsm::parse_spec(&format!("{r};{junk}"));
    }

    #[test]
    fn data_spec_parser_never_panics(
        a in "\\PC{0,40}",
        opts in prop::collection::vec(
            (prop_oneof![Just("samples"), Just("zero"), Just("signal"), Just("informative"), Just("noise"), Just("x")],
             prop_oneof![Just("="), Just(""), Just("==")], number()),
            0..5),
    ) {
        let _ = DataSpec::parse(&a);
        let b: Vec<String> = opts.iter().map(|(k, e, v)| format!("{k}{e}{v}")).collect();
        let _ = DataSpec::parse(&format!("synthetic:{}", b.join(",")));
    }

    #[test]
    fn method_and_seed_parsers_never_panic(a in "\\PC{0,40}", hex in "(0x)?[0-9a-fA-FxX]{0,20}") {
        let _ = Method::parse(&a);
        let _ = MasterSeed::parse(&a);
        let _ = MasterSeed::parse(&hex);
    }

    #[test]
    fn reference_table_reader_never_panics(
        a in "\\PC{0,200}",
        rows in prop::collection::vec(prop::collection::vec(number(), 0..6), 0..6),
    ) {
        let _ = parse_reference_table(&a);
        let csv: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
        let _ = parse_reference_table(&csv.join("\n"));
    }

    #[test]
    fn npy_reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_masks(&bytes, "fuzz");
        let _ = decode_f64(&bytes, "fuzz");
        let mut prefixed = b"\x93NUMPY\x01\x00".to_vec();
        prefixed.extend(&bytes);
        let _ = decode_masks(&prefixed, "fuzz");
        let _ = decode_f64(&prefixed, "fuzz");
    }

    #[test]
    fn npy_reader_never_panics_on_damaged_files(
        shape in prop::collection::vec(1usize..5, 1..4),
        float in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in prop::option::of(any::<prop::sample::Index>()),
        extra in prop::collection::vec(any::<u8>(), 0..3),
        dims in prop::option::of(prop::collection::vec(
            prop_oneof![number(), any::<u64>().prop_map(|x| x.to_string())], 0..4)),
    ) {
        let count: usize = shape.iter().product();
        let mut bytes = if float {
            encode_f64(&shape, &vec![0.5; count]).unwrap()
        } else {
            encode_u8(&shape, &vec![1; count]).unwrap()
        };
        if let Some(dims) = dims {
            // Replace the declared shape by arbitrary text (huge, negative, non-numeric),
            // keeping the header-length field true (version 1: bytes 8..10).
            let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            let header = String::from_utf8(bytes[10..10 + len].to_vec()).unwrap();
            let (a, b) = (header.find("'shape': (").unwrap() + 10, header.find("), }").unwrap());
            let new = format!("{}{}{}", &header[..a], dims.join(", "), &header[b..]);
            let mut rebuilt = bytes[..8].to_vec();
            rebuilt.extend((new.len() as u16).to_le_bytes());
            rebuilt.extend(new.into_bytes());
            rebuilt.extend(&bytes[10 + len..]);
            bytes = rebuilt;
        }
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(at) = cut {
            bytes.truncate(at.index(bytes.len()));
        }
        bytes.extend(extra);
        let _ = decode_masks(&bytes, "fuzz");
        let _ = decode_f64(&bytes, "fuzz");
    }
}
