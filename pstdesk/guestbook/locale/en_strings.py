# ruff: noqa: E501  (a translation table: one string per line reads best)
"""English translations of the guestbook's (and lib/phones.py's) Indonesian strings.

Regenerate the catalog after changing strings:
    .venv/bin/python pstdesk/guestbook/locale/en_strings.py && msgfmt -o pstdesk/guestbook/locale/en/LC_MESSAGES/django.mo pstdesk/guestbook/locale/en/LC_MESSAGES/django.po
"""

from __future__ import annotations

from pathlib import Path

EN: dict[str, str] = {
    "Alamat e-mail terlalu panjang.": "The e-mail address is too long.",
    "Alamat e-mail tidak valid: %(email)s": "Not a valid e-mail address: %(email)s",
    "Data pengguna layanan ini sudah dihapus.": "This visitor's data has been erased.",
    "Alamat pengirim e-mail kosong.": "The sender's e-mail address is empty.",
    "Wajib diisi.": "This field is required.",
    "Terlalu panjang (paling banyak %(n)d karakter).": "Too long (at most %(n)d characters).",
    "Daftar kode %(name)s belum tersedia.": "The code list %(name)s is not available yet.",
    "Wajib dipilih.": "Please choose one.",
    "Pilihan tidak dikenal: %(code)s.": "Unknown choice: %(code)s.",
    "Pilihan “Lainnya” memerlukan keterangan.": "The choice “Other” needs a description.",
    "Jawab ya atau tidak.": "Answer yes or no.",
    "Pilih sedikitnya satu jenis disabilitas.": "Choose at least one kind of disability.",
    "Versi pemberitahuan privasi tidak berlaku: %(v)s.": "This version of the privacy notice is not in force: %(v)s.",
    "Tidak ada persetujuan aktif untuk ditarik.": "There is no active consent to withdraw.",
    "Kode baru saja dikirim. Tunggu satu menit sebelum meminta lagi.": "A code was just sent. Wait a minute before asking again.",
    "Terlalu banyak permintaan kode. Coba lagi satu jam lagi.": "Too many code requests. Try again in an hour.",
    "Alamat e-mail ini sudah terverifikasi.": "This e-mail address is already verified.",
    "Kode verifikasi PST: %(code)s": "PST verification code: %(code)s",
    "Kode verifikasi e-mail Anda untuk layanan konsultasi statistik (PST) BPS adalah %(code)s.\n\n"
    "Kode berlaku %(minutes)d menit. Jika Anda tidak memintanya, abaikan e-mail ini.": "Your e-mail verification code for the BPS statistical consultation service (PST) is %(code)s.\n\n"
    "The code is valid for %(minutes)d minutes. If you did not ask for it, ignore this e-mail.",
    "Kode tidak dapat dikirim ke alamat ini. Coba lagi nanti.": "The code could not be sent to this address. Try again later.",
    "Tidak ada kode yang menunggu. Minta kode baru.": "No code is waiting. Ask for a new code.",
    "Kode sudah kedaluwarsa. Minta kode baru.": "The code has expired. Ask for a new code.",
    "Alamat e-mail sudah berubah sejak kode dikirim. Minta kode baru.": "The e-mail address changed after the code was sent. Ask for a new code.",
    "Terlalu banyak percobaan. Minta kode baru.": "Too many attempts. Ask for a new code.",
    "Kode salah. Sisa percobaan: %(n)d.": "Wrong code. Attempts left: %(n)d.",
    "Alasan penggabungan tidak dikenal: %(r)s.": "Unknown merge reason: %(r)s.",
    "Tidak dapat menggabungkan pengguna layanan dengan dirinya sendiri.": "A visitor cannot be merged with themself.",
    "Hanya penanggung jawab pelayanan atau administrator yang dapat menghapus data.": "Only the service manager or an administrator may erase data.",
    "Hapus data pribadi (hak penghapusan, UU 27/2022)": "Erase personal data (right to deletion, Law 27/2022)",
    "%(n)d pengguna layanan dihapus datanya.": "Erased the data of %(n)d visitors.",
    "Nama lengkap": "Full name",
    "E-mail aktif": "Active e-mail",
    "Kami kirim kode verifikasi ke alamat ini.": "We send a verification code to this address.",
    "Nomor WhatsApp": "WhatsApp number",
    "Contoh: 0812-3456-7890 atau +62 812-3456-7890.": "For example 0812-3456-7890 or +62 812-3456-7890.",
    "Jenis kelamin": "Sex",
    "Kelompok umur": "Age group",
    "Pendidikan tertinggi": "Highest education",
    "Pekerjaan": "Occupation",
    "Pekerjaan lainnya": "Other occupation",
    "Kategori instansi": "Institution category",
    "Kategori instansi lainnya": "Other institution category",
    "Nama instansi/universitas": "Institution/university name",
    "Pemanfaatan data": "Purpose of use",
    "Pemanfaatan lainnya": "Other purpose",
    "Penyandang disabilitas?": "Do you have a disability?",
    "Tidak": "No",
    "Ya": "Yes",
    "Jenis disabilitas": "Kind of disability",
    "Saya telah membaca pemberitahuan privasi dan menyetujui pemrosesan data pribadi saya.": "I have read the privacy notice and consent to the processing of my personal data.",
    "Persetujuan diperlukan untuk mengisi buku tamu.": "Consent is needed to fill in the guestbook.",
    "— pilih —": "— choose —",
    "Kode verifikasi (6 angka)": "Verification code (6 digits)",
    "nama": "name",
    "e-mail": "e-mail",
    "nomor WhatsApp": "WhatsApp number",
    "pengguna layanan": "visitor",
    "buku tamu": "guestbook",
    "persetujuan": "consent",
    "E-mail terverifikasi": "Verified e-mail",
    "ID WhatsApp": "WhatsApp id",
    "Tautan bertanda tangan": "Signed link",
    "Penggabungan oleh petugas": "Merged by staff",
    "isi buku tamu elektronik dan setujui pemberitahuan privasi": "fill in the electronic guestbook and accept the privacy notice",
    "verifikasi alamat e-mail aktif Anda (kode dikirim ke e-mail Anda)": "verify your active e-mail address (a code is sent to your e-mail)",
    "berikan nomor WhatsApp Anda": "give your WhatsApp number",
    "perkenalkan diri Anda: nama dan instansi/universitas, lalu data atau hal yang ingin dikonsultasikan": "introduce yourself: your name and institution/university, then the data or question you want to consult on",
    "Sebelum konsultasi dapat kami proses sesuai standar pelayanan, mohon:": "Before we can process your consultation under our service standard, please:",
    "Isi di sini: %(link)s": "Fill it in here: %(link)s",
    "Untuk perkenalan, cukup balas pesan ini.": "To introduce yourself, just reply to this message.",
    "wajib": "required",
    "Buku tamu elektronik": "Electronic guestbook",
    "Isi data berikut sebelum berkonsultasi. Kolom bertanda * wajib diisi.": "Please fill in the following before your consultation. Fields marked * are required.",
    "Periksa kembali isian berikut:": "Please check the following:",
    "Baca pemberitahuan privasi": "Read the privacy notice",
    "versi": "version",
    "Simpan": "Save",
    "Verifikasi e-mail": "E-mail verification",
    "Terima kasih. Buku tamu tersimpan dan alamat e-mail Anda sudah terverifikasi.": "Thank you. The guestbook is saved and your e-mail address is verified.",
    "Silakan kembali ke percakapan untuk melanjutkan konsultasi.": "Please go back to the conversation to continue.",
    "Buku tamu tersimpan.": "The guestbook is saved.",
    "Kode verifikasi telah dikirim ke %(email)s. Kode berlaku 30 menit.": "A verification code was sent to %(email)s. It is valid for 30 minutes.",
    "Kirim ulang kode": "Send the code again",
    "Kirim kode verifikasi": "Send a verification code",
    "Verifikasi": "Verify",
    "Nomor WhatsApp kosong.": "The WhatsApp number is empty.",
    "Nomor WhatsApp terlalu panjang.": "The WhatsApp number is too long.",
    "Nomor WhatsApp tidak valid: hanya boleh berisi angka, spasi, tanda + dan -.": "Not a valid WhatsApp number: use only digits, spaces, + and -.",
    "Nomor WhatsApp tidak valid: tidak ada angka.": "Not a valid WhatsApp number: it has no digits.",
    "Nomor WhatsApp tidak valid: %(number)s. Tulis seperti 0812-3456-7890 atau +62 812-3456-7890.": "Not a valid WhatsApp number: %(number)s. Write it like 0812-3456-7890 or +62 812-3456-7890.",
}


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    parts = escaped.split("\n")
    if len(parts) == 1:
        return f'"{escaped}"'
    lines = [f'"{part}\\n"' for part in parts[:-1]] + ([f'"{parts[-1]}"'] if parts[-1] else [])
    return '""\n' + "\n".join(lines)


def write_po(path: Path) -> None:
    header = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: en\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n'
    )
    body = "\n".join(f"msgid {_quote(k)}\nmsgstr {_quote(v)}\n" for k, v in EN.items())
    path.write_text(header + "\n" + body, encoding="utf-8")


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "en" / "LC_MESSAGES" / "django.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_po(target)
    print(target)
