//! A fast, non-cryptographic hasher for in-memory indexes built from the organisation's own
//! data (a million invoice numbers, references and ids at a time).
//!
//! The standard library's SipHash resists keys chosen by an attacker, at several times the cost
//! per key. The matcher's indexes are keyed by what the organisation itself stored (its invoice
//! numbers, payment references and ids); text from outside (a statement's remittance) is only
//! looked up, never inserted, so it cannot degrade a table. Each 8-byte word is folded in with a
//! "folded multiply": the 128-bit product of `h ^ word` and an odd constant, its high half
//! XORed onto its low half, so a difference anywhere in a word reaches every bit of the hash
//! (a plain 64-bit multiply only carries differences upwards).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A [`HashMap`] with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// An odd constant with well-spread bits (the fractional part of pi).
const K: u64 = 0x243f_6a88_85a3_08d3;

/// See the module documentation.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        let product = u128::from(self.hash ^ word) * u128::from(K);
        self.hash = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (to, from) in word.iter_mut().zip(rest) {
                *to = *from;
            }
            self.add(u64::from_le_bytes(word));
        }
        // The length tells "A" from "A\0", which pad to the same word.
        self.add(bytes.len() as u64);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i.cast_unsigned());
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash>(v: &T) -> u64 {
        BuildHasherDefault::<FastHasher>::default().hash_one(v)
    }

    #[test]
    fn equal_keys_hash_equal_and_near_keys_apart() {
        assert_eq!(hash(&"2026-0001"), hash(&"2026-0001".to_owned()));
        let numbers: std::collections::HashSet<u64> =
            (0..10_000).map(|i| hash(&format!("2026-{i:05}"))).collect();
        assert_eq!(numbers.len(), 10_000, "no collisions among consecutive invoice numbers");
        // A key is not the same as the key padded with NUL bytes.
        assert_ne!(hash(&"A"), hash(&"A\0"));
    }

    #[test]
    fn a_fast_map_works_like_a_map() {
        let mut m: FastMap<String, usize> = FastMap::default();
        for i in 0..1000 {
            m.insert(format!("F{i}"), i);
        }
        assert_eq!(m.get("F517"), Some(&517));
        assert_eq!(m.len(), 1000);
    }
}
