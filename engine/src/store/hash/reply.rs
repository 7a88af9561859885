//! Strings on their way into a reply (fields, values, members): copied
//! into one buffer and handed out as slices of it, so that HGETALL or
//! SMEMBERS allocate once for all their elements rather than once each.

use bytes::Bytes;
use redsim_model::Frame;

#[derive(Default)]
pub struct Texts {
    text: Vec<u8>,
    ends: Vec<usize>,
}

impl Texts {
    pub fn with_capacity(strings: usize) -> Texts {
        Texts { text: Vec::with_capacity(strings * 8), ends: Vec::with_capacity(strings) }
    }

    #[inline]
    pub fn push(&mut self, s: &[u8]) {
        self.text.extend_from_slice(s);
        self.ends.push(self.text.len());
    }

    /// The strings as bulk replies, in the order they were pushed.
    pub fn into_bulks(self) -> Vec<Frame> {
        let all = Bytes::from(self.text);
        let mut start = 0;
        self.ends
            .into_iter()
            .map(|end| {
                let b = all.slice(start..end);
                start = end;
                Frame::Bulk(b)
            })
            .collect()
    }

    /// The strings taken two by two (field, value), as map or pair replies.
    pub fn into_pairs(self) -> Vec<(Frame, Frame)> {
        let mut bulks = self.into_bulks().into_iter();
        let mut out = Vec::with_capacity(bulks.len() / 2);
        while let (Some(a), Some(b)) = (bulks.next(), bulks.next()) {
            out.push((a, b));
        }
        out
    }
}
