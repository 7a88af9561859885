//! Strings on their way into a reply (list elements, fields, values,
//! members): copied into one buffer and handed out as slices of it, so that
//! LRANGE, HGETALL or SMEMBERS allocate once for all their elements rather
//! than once each.

use bytes::Bytes;
use redsim_model::Frame;

#[derive(Default)]
pub struct Texts {
    text: Vec<u8>,
    ends: Vec<usize>,
}

impl Texts {
    /// Room for `strings` strings of `bytes` bytes in all (a guess is fine).
    pub fn with_capacity(strings: usize, bytes: usize) -> Texts {
        Texts { text: Vec::with_capacity(bytes), ends: Vec::with_capacity(strings) }
    }

    #[inline]
    pub fn push(&mut self, s: &[u8]) {
        self.text.extend_from_slice(s);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The strings, in the order they were pushed, each made by `make`.
    pub fn map<T>(self, mut make: impl FnMut(Bytes) -> T) -> Vec<T> {
        let all = Bytes::from(self.text);
        let mut start = 0;
        self.ends
            .into_iter()
            .map(|end| {
                let b = all.slice(start..end);
                start = end;
                make(b)
            })
            .collect()
    }

    /// The strings as bulk replies.
    pub fn into_bulks(self) -> Vec<Frame> {
        self.map(Frame::Bulk)
    }

    /// The strings as a reply: an array of bulk strings.
    pub fn into_frame(self) -> Frame {
        Frame::Array(self.into_bulks())
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
