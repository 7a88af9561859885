//! The sorted set value.

/// A value of the sorted-set type.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ZSetValue {}

impl ZSetValue {
    /// Number of elements.
    pub fn len(&self) -> usize {
        0
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        ""
    }

    /// Mixes this value into a DEBUG DIGEST-VALUE digest, as Redis's xorObjectDigest.
    pub fn digest_into(&self, digest: &mut [u8; 20]) {
        let _ = digest;
    }

    /// Rough memory use in bytes, for INFO memory.
    pub fn approx_bytes(&self) -> usize {
        0
    }

    /// Members and scores in ascending (score, member) order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        std::iter::empty()
    }
}
