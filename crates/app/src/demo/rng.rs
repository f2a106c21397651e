//! The demo generator's random numbers: xoshiro256** seeded through SplitMix64, written here so
//! that a seed gives the same data on every platform and with every dependency version.
//!
//! Only integer arithmetic: probabilities are in per mille, ranges are inclusive.

/// One step of SplitMix64: a good 64-bit mixer, also used to expand seeds.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Mixes a seed with a stream number and an index into a new, well-spread seed.
pub(crate) fn mix(seed: u64, stream: u64, index: u64) -> u64 {
    let mut s = seed;
    let a = splitmix64(&mut s);
    let mut t = a ^ stream.wrapping_mul(0xd605_bbb5_8c8a_bf4b);
    let b = splitmix64(&mut t);
    let mut u = b ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    splitmix64(&mut u)
}

/// xoshiro256** (Blackman and Vigna, 2018).
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `seed`; the state is expanded with SplitMix64, so it is never all zero.
    pub(crate) fn new(seed: u64) -> Rng {
        let mut sm = seed;
        Rng {
            s: [splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm)],
        }
    }

    /// The generator of item `index` of stream `stream` under `seed`: items are independent of
    /// each other, so a debtor's data does not depend on how the work was cut into chunks.
    pub(crate) fn stream(seed: u64, stream: u64, index: u64) -> Rng {
        Rng::new(mix(seed, stream, index))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.s;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A number in `0..n` (0 when `n` is 0), by Lemire's multiply-shift; the bias is below
    /// `n / 2^64`, far under anything demo data could show.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(n);
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// A number in `lo..=hi` (`lo` when the range is empty).
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let width = u64::try_from(i128::from(hi) - i128::from(lo) + 1).unwrap_or(u64::MAX);
        lo.wrapping_add(i64::try_from(self.below(width)).unwrap_or(0))
    }

    /// [`range`](Self::range) for day offsets.
    pub(crate) fn days(&mut self, lo: i32, hi: i32) -> i32 {
        i32::try_from(self.range(i64::from(lo), i64::from(hi))).unwrap_or(lo)
    }

    /// True with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }

    /// A uniformly chosen element (`T::default()` for an empty slice).
    pub(crate) fn pick<T: Copy + Default>(&mut self, items: &[T]) -> T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i).copied().unwrap_or_default()
    }

    /// An element chosen with the given integer weights (the first one when all are zero).
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> Option<T> {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            let w = u64::from(*w);
            if x < w {
                return Some(*item);
            }
            x -= w;
        }
        items.first().map(|(item, _)| *item)
    }
}

/// A bijection of `0..domain` (for `index < domain`): `(index · a + salt) mod domain` with `a` a
/// large prime. Used to give every debtor a distinct account or company number that still
/// looks random.
pub(crate) fn permute(index: u64, salt: u64, domain: u64) -> u64 {
    const A: u128 = 2_654_435_761;
    if domain == 0 {
        return 0;
    }
    let d = u128::from(domain);
    let v = (u128::from(index % domain) * A + u128::from(salt) % d) % d;
    u64::try_from(v).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_gives_the_reference_sequence() {
        // First outputs for seed 1234567 (from the reference implementation).
        let mut s = 1_234_567_u64;
        assert_eq!(splitmix64(&mut s), 6_457_827_717_110_365_317);
        assert_eq!(splitmix64(&mut s), 3_203_168_211_198_807_973);
    }

    #[test]
    fn xoshiro256_star_star_gives_the_reference_sequence() {
        let mut r = Rng { s: [1, 2, 3, 4] };
        let xs: Vec<u64> = (0..6).map(|_| r.next_u64()).collect();
        assert_eq!(
            xs,
            [
                11520,
                0,
                1_509_978_240,
                1_215_971_899_390_074_240,
                1_216_172_134_540_287_360,
                607_988_272_756_665_600
            ]
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let mut a = Rng::stream(42, 1, 7);
        let mut b = Rng::stream(42, 1, 7);
        let mut c = Rng::stream(42, 1, 8);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn ranges_are_inclusive_and_stay_inside() {
        let mut r = Rng::new(1);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let x = r.range(3, 7);
            assert!((3..=7).contains(&x));
            seen[usize::try_from(x - 3).unwrap()] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(r.range(5, 5), 5);
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn permute_is_a_bijection() {
        let domain = 1000;
        let mut seen = vec![false; 1000];
        for i in 0..domain {
            let v = usize::try_from(permute(i, 12_345, domain)).unwrap();
            assert!(!seen[v]);
            seen[v] = true;
        }
    }
}
