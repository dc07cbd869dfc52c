//! `upload.*`: file parts in, file chunks out, under Telegram's documented rules
//! (<https://core.telegram.org/api/files>).

use grammers_tl_types as tl;

use super::{CallCtx, RpcErr, err};
use crate::content::Content;
use crate::world::FileSpec;
use crate::world::{AccountId, FileId, FileKind, World};

const KIB: i64 = 1024;
const MIB: i64 = 1024 * 1024;
/// Telegram's part limits for uploads: 512 KiB per part, 4000 parts.
const MAX_PART: usize = 512 * 1024;
const MAX_PARTS: i32 = 4000;

/// Checks `offset`/`limit` the way Telegram does, so a client that breaks a rule here would
/// break it against the real thing.
pub fn check_range(precise: bool, offset: i64, limit: i32) -> Result<(), RpcErr> {
    let limit = limit as i64;
    if offset < 0 {
        return Err(err(400, "OFFSET_INVALID"));
    }
    if limit <= 0 || limit > MIB {
        return Err(err(400, "LIMIT_INVALID"));
    }
    if precise {
        if offset % KIB != 0 {
            return Err(err(400, "OFFSET_INVALID"));
        }
        if limit % KIB != 0 {
            return Err(err(400, "LIMIT_INVALID"));
        }
        return Ok(());
    }
    if offset % (4 * KIB) != 0 {
        return Err(err(400, "OFFSET_INVALID"));
    }
    if limit % (4 * KIB) != 0 || MIB % limit != 0 || offset / MIB != (offset + limit - 1) / MIB {
        return Err(err(400, "LIMIT_INVALID"));
    }
    Ok(())
}

fn location_parts(loc: &tl::enums::InputFileLocation) -> Option<(i64, i64, &[u8])> {
    match loc {
        tl::enums::InputFileLocation::InputDocumentFileLocation(d) => Some((d.id, d.access_hash, &d.file_reference)),
        tl::enums::InputFileLocation::InputPhotoFileLocation(p) => Some((p.id, p.access_hash, &p.file_reference)),
        _ => None,
    }
}

/// Which thumbnail of a document a location asks for ("" for the document itself; a photo's
/// sizes are all served as the photo).
fn thumb_size(loc: &tl::enums::InputFileLocation) -> &str {
    match loc {
        tl::enums::InputFileLocation::InputDocumentFileLocation(d) => &d.thumb_size,
        _ => "",
    }
}

pub fn rotate_reference_of(ctx: &CallCtx, loc: &tl::enums::InputFileLocation) {
    if let Some((id, _, _)) = location_parts(loc) {
        ctx.shared.world().rotate_file_reference(id);
    }
}

pub fn get_file(ctx: &CallCtx, req: tl::functions::upload::GetFile) -> Result<tl::enums::upload::File, RpcErr> {
    let content = {
        let world = ctx.shared.world();
        ctx.me(&world)?;
        let (id, hash, reference) = location_parts(&req.location).ok_or_else(|| err(400, "LOCATION_INVALID"))?;
        let file = world.files.get(&id).filter(|f| f.access_hash == hash).ok_or_else(|| err(400, "FILE_ID_INVALID"))?;
        if file.dc_id != ctx.dc {
            return Err(err(303, format!("FILE_MIGRATE_{}", file.dc_id)));
        }
        if file.file_reference != reference {
            return Err(err(400, "FILE_REFERENCE_EXPIRED"));
        }
        check_range(req.precise, req.offset, req.limit)?;
        match thumb_size(&req.location) {
            "" => file.content.clone(),
            "m" => match &file.thumb {
                Some(t) => Content::Bytes(t.bytes.clone()),
                None => return Err(err(400, "LOCATION_INVALID")),
            },
            _ => return Err(err(400, "LOCATION_INVALID")),
        }
    };
    // Read outside the lock: seeded content is generated on the fly.
    let bytes = content.read(req.offset as u64, req.limit as usize);
    ctx.shared.count_file_bytes(bytes.len());
    Ok(tl::types::upload::File { r#type: tl::enums::storage::FileType::FilePartial, mtime: 0, bytes }.into())
}

fn save_part(ctx: &CallCtx, file_id: i64, part: i32, bytes: Vec<u8>) -> Result<bool, RpcErr> {
    if !(0..MAX_PARTS).contains(&part) {
        return Err(err(400, "FILE_PART_INVALID"));
    }
    if bytes.len() > MAX_PART {
        return Err(err(400, "FILE_PART_TOO_BIG"));
    }
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    world.uploads.entry((me, file_id)).or_default().insert(part, bytes);
    Ok(true)
}

pub fn save_file_part(ctx: &CallCtx, req: tl::functions::upload::SaveFilePart) -> Result<bool, RpcErr> {
    save_part(ctx, req.file_id, req.file_part, req.bytes)
}

pub fn save_big_file_part(ctx: &CallCtx, req: tl::functions::upload::SaveBigFilePart) -> Result<bool, RpcErr> {
    if req.file_total_parts <= 0 || req.file_total_parts > MAX_PARTS {
        return Err(err(400, "FILE_PARTS_INVALID"));
    }
    save_part(ctx, req.file_id, req.file_part, req.bytes)
}

fn assemble(world: &mut World, me: AccountId, file: &tl::enums::InputFile) -> Result<(Vec<u8>, String), RpcErr> {
    let (id, parts, name) = match file {
        tl::enums::InputFile::File(f) => (f.id, f.parts, f.name.clone()),
        tl::enums::InputFile::Big(f) => (f.id, f.parts, f.name.clone()),
        _ => return Err(err(400, "MEDIA_INVALID")),
    };
    let stored = world.uploads.remove(&(me, id)).ok_or_else(|| err(400, "FILE_PARTS_INVALID"))?;
    if stored.len() != parts as usize || stored.keys().copied().ne(0..parts) {
        return Err(err(
            400,
            format!("FILE_PART_{}_MISSING", (0..parts).find(|p| !stored.contains_key(p)).unwrap_or(0)),
        ));
    }
    Ok((stored.into_values().flatten().collect(), name))
}

/// The file an `InputMedia` names: an existing document or photo (its access hash and file
/// reference checked) or a freshly uploaded one.
pub fn input_media_file(
    world: &mut World,
    me: AccountId,
    dc: i32,
    media: tl::enums::InputMedia,
) -> Result<FileId, RpcErr> {
    let existing = |world: &World, id: i64, hash: i64, reference: &[u8]| -> Result<FileId, RpcErr> {
        let f = world.files.get(&id).filter(|f| f.access_hash == hash).ok_or_else(|| err(400, "MEDIA_INVALID"))?;
        if f.file_reference != reference {
            return Err(err(400, "FILE_REFERENCE_EXPIRED"));
        }
        Ok(id)
    };
    match media {
        tl::enums::InputMedia::Document(d) => match d.id {
            tl::enums::InputDocument::Document(d) => existing(world, d.id, d.access_hash, &d.file_reference),
            tl::enums::InputDocument::Empty => Err(err(400, "MEDIA_INVALID")),
        },
        tl::enums::InputMedia::Photo(p) => match p.id {
            tl::enums::InputPhoto::Photo(p) => existing(world, p.id, p.access_hash, &p.file_reference),
            tl::enums::InputPhoto::Empty => Err(err(400, "MEDIA_INVALID")),
        },
        tl::enums::InputMedia::UploadedDocument(d) => {
            let (bytes, upload_name) = assemble(world, me, &d.file)?;
            let mut name = upload_name;
            let mut kind = FileKind::Document;
            for a in &d.attributes {
                match a {
                    tl::enums::DocumentAttribute::Filename(f) => name = f.file_name.clone(),
                    tl::enums::DocumentAttribute::Video(v) => {
                        kind = FileKind::Video { duration: v.duration, width: v.w, height: v.h }
                    }
                    tl::enums::DocumentAttribute::Audio(a) if a.voice => {
                        kind = FileKind::Voice { duration: a.duration }
                    }
                    tl::enums::DocumentAttribute::Audio(a) => {
                        kind = FileKind::Audio {
                            duration: a.duration,
                            title: a.title.clone(),
                            performer: a.performer.clone(),
                        }
                    }
                    _ => {}
                }
            }
            let mime = if d.mime_type.is_empty() { "application/octet-stream".into() } else { d.mime_type };
            Ok(world.add_file(FileSpec { name, mime, kind, content: Content::Bytes(bytes.into()), dc, thumb: None }))
        }
        tl::enums::InputMedia::UploadedPhoto(p) => {
            let (bytes, name) = assemble(world, me, &p.file)?;
            Ok(world.add_file(FileSpec {
                name,
                mime: "image/jpeg".into(),
                kind: FileKind::Photo { width: 0, height: 0 },
                content: Content::Bytes(bytes.into()),
                dc,
                thumb: None,
            }))
        }
        _ => Err(err(400, "MEDIA_INVALID")),
    }
}

#[cfg(test)]
mod tests {
    use super::check_range;

    #[test]
    fn enforces_telegrams_get_file_rules() {
        assert!(check_range(false, 0, 512 * 1024).is_ok());
        assert!(check_range(false, 512 * 1024, 512 * 1024).is_ok());
        assert!(check_range(false, 0, 1024 * 1024).is_ok());
        assert!(check_range(false, 4096, 4096).is_ok());
        // crosses the 1 MiB boundary
        assert_eq!(check_range(false, 768 * 1024, 512 * 1024).unwrap_err().name, "LIMIT_INVALID");
        // 1 MiB is not divisible by 12 KiB
        assert_eq!(check_range(false, 0, 12 * 1024).unwrap_err().name, "LIMIT_INVALID");
        assert_eq!(check_range(false, 1024, 4096).unwrap_err().name, "OFFSET_INVALID");
        assert_eq!(check_range(false, 0, 0).unwrap_err().name, "LIMIT_INVALID");
        assert!(check_range(true, 1024, 3 * 1024).is_ok());
        assert!(check_range(true, 1023 * 1024, 2048).is_ok());
        assert_eq!(check_range(true, 100, 1024).unwrap_err().name, "OFFSET_INVALID");
        assert_eq!(check_range(true, 0, 2 * 1024 * 1024).unwrap_err().name, "LIMIT_INVALID");
    }
}
