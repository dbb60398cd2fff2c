//! Mapping a value to a position along an axis, linear or log10, with its tick values.

/// How values map to positions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// `0..=max` (the top rounded up to a round number) onto the axis.
    Linear {
        /// The value at the end of the axis.
        max: f64,
    },
    /// Whole decades `10^lo..=10^hi` onto the axis.
    Log {
        /// Decade exponent at the start of the axis.
        lo: i32,
        /// Decade exponent at the end.
        hi: i32,
    },
}

impl Scale {
    /// A linear scale from zero that holds `max`, ending on a round number (1, 2, 2.5 or 5
    /// times a power of ten).
    pub fn linear(max: f64) -> Self {
        Self::Linear {
            max: round_up(max.max(f64::MIN_POSITIVE)),
        }
    }

    /// A log scale of whole decades that holds every positive value of `values`.
    pub fn log(values: impl IntoIterator<Item = f64>) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| *v > 0.0 && v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            return Self::Log { lo: 0, hi: 1 };
        }
        let lo = lo.log10().floor() as i32;
        let hi = (hi.log10().ceil() as i32).max(lo + 1);
        Self::Log { lo, hi }
    }

    /// Where `v` falls along an axis of `length`, clamped to `[0, length]`.
    pub fn position(&self, v: f64, length: f64) -> f64 {
        let f = match *self {
            Self::Linear { max } => v / max,
            Self::Log { lo, hi } => {
                if v <= 0.0 {
                    0.0
                } else {
                    (v.log10() - f64::from(lo)) / f64::from(hi - lo)
                }
            }
        };
        (f * length).clamp(0.0, length)
    }

    /// The values to mark on the axis.
    pub fn ticks(&self) -> Vec<f64> {
        match *self {
            Self::Linear { max } => {
                let step = round_up(max / 5.0);
                let mut t = Vec::new();
                let mut v = 0.0;
                while v <= max * (1.0 + 1e-9) {
                    t.push(v);
                    v += step;
                }
                t
            }
            Self::Log { lo, hi } => (lo..=hi).map(|d| 10f64.powi(d)).collect(),
        }
    }
}

/// The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is at least `v` (`v > 0`).
pub fn round_up(v: f64) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= v * (1.0 - 1e-12) {
            return m * p;
        }
    }
    10.0 * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_scale_rounds_up_and_ticks_evenly() {
        let s = Scale::linear(9_400.0);
        assert_eq!(s, Scale::Linear { max: 10_000.0 });
        assert_eq!(
            s.ticks(),
            vec![0.0, 2_000.0, 4_000.0, 6_000.0, 8_000.0, 10_000.0]
        );
        assert_eq!(s.position(5_000.0, 300.0), 150.0);
        assert_eq!(s.position(20_000.0, 300.0), 300.0);
        assert_eq!(round_up(0.31), 0.5);
        assert_eq!(round_up(2.1), 2.5);
        assert_eq!(round_up(1.0), 1.0);
    }

    #[test]
    fn log_scale_covers_whole_decades() {
        let s = Scale::log([3.0, 450.0, 0.0, f64::NAN]);
        assert_eq!(s, Scale::Log { lo: 0, hi: 3 });
        assert_eq!(s.ticks(), vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(s.position(1.0, 300.0), 0.0);
        assert!((s.position(100.0, 300.0) - 200.0).abs() < 1e-9);
        assert_eq!(s.position(0.0, 300.0), 0.0);
        assert_eq!(Scale::log([]), Scale::Log { lo: 0, hi: 1 });
        assert_eq!(Scale::log([10.0]), Scale::Log { lo: 1, hi: 2 });
    }
}
