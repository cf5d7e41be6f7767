//! Writes the request-size limits of ../../wit/limits.json as Rust constants (included by src/limits.rs):
//! the one definition of them, which the host reads too (tools/generate-contract.mjs).
use std::{env, fs, path::PathBuf};

fn main() {
    let source = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../wit/limits.json");
    println!("cargo:rerun-if-changed={}", source.display());
    let fail = |what: String| -> ! { panic!("{}: {what}", source.display()) };
    let text = fs::read_to_string(&source).unwrap_or_else(|e| fail(e.to_string()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| fail(e.to_string()));
    let limits = json["limits"].as_object().unwrap_or_else(|| fail("no \"limits\" object".into()));
    let mut constants = String::new();
    for (name, limit) in limits {
        let value = limit["value"].as_number().unwrap_or_else(|| fail(format!("{name} has no numeric value")));
        let literal = match limit["rust"].as_str() {
            Some(ty @ ("usize" | "u64")) => value.as_u64().map(|v| format!("{ty} = {v}")),
            Some("f64") => value.as_f64().filter(|v| v.is_finite()).map(|v| format!("f64 = {v:?}")),
            _ => fail(format!("{name}: \"rust\" must be usize, u64 or f64")),
        }
        .unwrap_or_else(|| fail(format!("{name}: {value} is not a {}", limit["rust"])));
        let doc = limit["doc"].as_str().unwrap_or_else(|| fail(format!("{name} has no doc")));
        constants += &format!("/// {doc}\npub const {name}: {literal};\n");
    }
    fs::write(PathBuf::from(env::var("OUT_DIR").unwrap()).join("limits.rs"), constants).unwrap();
}
