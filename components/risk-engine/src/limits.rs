//! Request-size limits: the engine refuses (error `too-large`) rather than exhaust its memory. Their values
//! are wit/limits.json's, the host's too; build.rs writes them as the constants included here.

include!(concat!(env!("OUT_DIR"), "/limits.rs"));
