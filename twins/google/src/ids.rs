//! Ids in Google's formats: Drive file ids (`1` + 32 base64url characters, 44 for
//! Docs editor files), shared-drive and My Drive root ids (`0A` + 17, 19 in all),
//! numeric permission ids, opaque revision and comment ids, upload ids. All come
//! from the universe's seeded generator.

use twin_core::ids::IdGen;

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn draw(ids: &mut IdGen, alphabet: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut bits = ids.next_u64();
    let mut left = 10;
    for _ in 0..len {
        if left == 0 {
            bits = ids.next_u64();
            left = 10;
        }
        out.push(alphabet[(bits & 0x3f) as usize % alphabet.len()] as char);
        bits >>= 6;
        left -= 1;
    }
    out
}

/// A file or folder id: 33 characters starting with `1`.
pub fn file_id(ids: &mut IdGen) -> String {
    format!("1{}", draw(ids, URL_SAFE, 32))
}

/// A Google editor file's id (Docs, Sheets): 44 characters starting with `1`.
pub fn editor_file_id(ids: &mut IdGen) -> String {
    format!("1{}", draw(ids, URL_SAFE, 43))
}

/// A shared drive's or a My Drive root's id: `0A` then 17 characters.
pub fn drive_id(ids: &mut IdGen) -> String {
    let body = draw(ids, &URL_SAFE[..62], 15);
    format!("0A{body}Uk9PVA")[..19].to_string()
}

/// A user's or group's permission id: 20 decimal digits.
pub fn permission_id(ids: &mut IdGen) -> String {
    format!("{:020}", ids.next_u64())
}

/// A revision id of a binary file.
pub fn revision_id(ids: &mut IdGen) -> String {
    format!("0B{}", draw(ids, &URL_SAFE[..62], 49))
}

/// A comment or reply id.
pub fn comment_id(ids: &mut IdGen) -> String {
    format!("AAAB{}", draw(ids, &URL_SAFE[..62], 12))
}

/// A resumable upload session id.
pub fn upload_id(ids: &mut IdGen) -> String {
    format!("ABPtcP{}", draw(ids, URL_SAFE, 66))
}

/// Does `s` look like an id Drive could have handed out (so a malformed one is a 404, not a 400)?
pub fn plausible_file_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| URL_SAFE.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let mut ids = IdGen::new(7);
        let f = file_id(&mut ids);
        assert_eq!(f.len(), 33);
        assert!(f.starts_with('1'));
        assert_eq!(editor_file_id(&mut ids).len(), 44);
        let d = drive_id(&mut ids);
        assert_eq!(d.len(), 19);
        assert!(d.starts_with("0A"));
        let p = permission_id(&mut ids);
        assert_eq!(p.len(), 20);
        assert!(p.bytes().all(|b| b.is_ascii_digit()));
        assert!(plausible_file_id(&f));
        assert!(!plausible_file_id("a b"));
    }
}
