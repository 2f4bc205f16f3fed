#!/usr/bin/env python3
"""Generate a deterministic, realistic "pelanggan" (customer) import template.

    python make_customers_xlsx.py --rows 10000 --out customers_10k.xlsx \
        [--csv customers_10k.csv] [--seed 42]

One sheet ("Pelanggan"), one header row, then N data rows. The same seed and
row count give the same cell values and, since zip timestamps and document
properties are pinned, the same file bytes. Names are random combinations of
common Indonesian given names (no real persons); e-mail domains are reserved
example domains (RFC 2606), so no address can belong to anyone.
Sites and packages are those of tests/data/samples/expected.json, so a database filled
by `seed_demo` matches them. Needs only openpyxl; write_only mode keeps memory flat, so 1M rows works.
"""
import argparse
import csv
import datetime as dt
import os
import random
import re
import shutil
import zipfile

import openpyxl

HEADERS = ["ID Pelanggan", "Nama", "No HP", "Email", "NIK", "Alamat", "Site",
           "Paket", "Tanggal Pasang", "Latitude", "Longitude"]

FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Sri", "Eko", "Wahyu", "Putri",
         "Rizky", "Nur", "Fajar", "Indah", "Hendra", "Yuni", "Dedi", "Ratna", "Arif", "Lina",
         "Bayu", "Fitri", "Teguh", "Maya", "Joko", "Ani", "Imam", "Wulan", "Dimas", "Ayu",
         "Hadi", "Novi", "Rudi", "Desi", "Yusuf", "Intan", "Gilang", "Tri", "Ahmad", "Kartika",
         "Slamet", "Endang", "Ilham", "Rahmawati", "Taufik", "Nanda", "Wayan", "Made", "Komang",
         "Ketut", "Ucok", "Asep", "Cecep", "Euis", "Dadang", "Ujang", "Neneng", "Iwan", "Tuti"]
MIDDLE = ["", "", "", "Dwi", "Adi", "Eka", "Nur", "Sari", "Putra", "Ayu", "Indra", "Muhammad"]
LAST = ["", "Santoso", "Wijaya", "Lestari", "Saputra", "Hidayat", "Kurniawan", "Pratama",
        "Setiawan", "Rahayu", "Susanti", "Nugroho", "Wibowo", "Hakim", "Siregar", "Nasution",
        "Harahap", "Simanjuntak", "Lubis", "Purnomo", "Gunawan", "Permana", "Maulana",
        "Ramadhan", "Handayani", "Kusuma", "Firmansyah", "Syahputra", "Utami", "Hasibuan"]

# (site name, centre latitude, centre longitude, kota/kab, [(kecamatan, [kelurahan])])
SITES = [
    ("Cibinong", -6.481, 106.854, "Kab. Bogor",
     [("Cibinong", ["Pakansari", "Tengah", "Sukahati"]), ("Citeureup", ["Puspanegara", "Karang Asem Barat"])]),
    ("Bojonggede", -6.493, 106.795, "Kab. Bogor",
     [("Bojonggede", ["Bojong Baru", "Pabuaran", "Ragajaya"]), ("Tajurhalang", ["Sasakpanjang", "Citayam"])]),
    ("Citayam", -6.446, 106.802, "Kab. Bogor",
     [("Tajurhalang", ["Citayam", "Kalisuren"]), ("Bojonggede", ["Susukan", "Waringin Jaya"])]),
]
STREETS = ["Jl. Melati", "Jl. Mawar", "Jl. Kenanga", "Jl. Anggrek", "Jl. Merdeka", "Jl. Raya Bogor",
           "Jl. Pahlawan", "Jl. Sudirman", "Jl. Cempaka", "Gg. Masjid", "Gg. Haji Naim",
           "Jl. Kebon Jeruk", "Jl. Pemuda", "Perum Griya Asri Blok C", "Jl. Swadaya"]
PAKET = ["Home 10 Mbps", "Home 20 Mbps", "Home 30 Mbps", "Bisnis 50 Mbps", "Bisnis 100 Mbps"]
HP_PREFIX = ["811", "812", "813", "821", "822", "823", "852", "853", "851", "855", "856", "857",
             "858", "877", "878", "881", "882", "887", "895", "896", "897", "898"]
MAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example"]
# NIK region prefixes (province+kabupaten+kecamatan), drawn independently of the site
NIK_REGION = ["320103", "327604", "327509", "367103", "327322"]
EPOCH = dt.date(2018, 1, 1)
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def phone(rng):
    """A mobile number typed the way people type it; ~5% a bare number (Excel lost the 0)."""
    body = rng.choice(HP_PREFIX) + "".join(rng.choice("0123456789") for _ in range(rng.choice((7, 8, 9))))
    r = rng.random()
    if r < 0.05:
        return int(body)                                 # 8123456789: stored as a number
    if r < 0.45:
        return "0" + body                                # 08123456789
    if r < 0.60:
        return "+62 %s-%s-%s" % (body[:3], body[3:7], body[7:])   # +62 812-3456-789
    if r < 0.75:
        return "62" + body                               # 62812...
    if r < 0.88:
        return "0%s-%s-%s" % (body[:3], body[3:7], body[7:])      # 0812-3456-789
    return "0%s %s %s" % (body[:3], body[3:7], body[7:])          # 0812 3456 789


def make_row(i, rng):
    first = rng.choice(FIRST)
    parts = [first, rng.choice(MIDDLE), rng.choice(LAST)]
    nama = " ".join(p for p in parts if p)
    if rng.random() < 0.03:
        nama = nama.upper()
    email = None
    if rng.random() < 0.70:
        local = ".".join(p.lower() for p in parts if p)
        email = "%s%d@%s" % (local, rng.randint(1, 999), rng.choice(MAIL_DOMAINS))
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 45))
    day = born.day + (40 if rng.random() < 0.5 else 0)   # NIK encodes women as day+40
    nik = "%s%02d%02d%02d%04d" % (rng.choice(NIK_REGION), day, born.month, born.year % 100,
                                  rng.randint(1, 9999))
    site_i = rng.randrange(len(SITES))
    site, lat0, lon0, kota, kecs = SITES[site_i]
    kec, kels = rng.choice(kecs)
    alamat = "%s No. %d, RT %03d/RW %03d, Kel. %s, Kec. %s, %s" % (
        rng.choice(STREETS), rng.randint(1, 250), rng.randint(1, 15), rng.randint(1, 12),
        rng.choice(kels), kec, kota)
    tanggal = EPOCH + dt.timedelta(days=rng.randint(0, 365 * 8))
    lat = lon = None
    if rng.random() < 0.93:
        lat = round(lat0 + rng.uniform(-0.05, 0.05), 6)
        lon = round(lon0 + rng.uniform(-0.05, 0.05), 6)
    return [
        "CUST-%06d" % i,
        nama,
        phone(rng),
        email,
        nik,
        alamat,
        site if rng.random() >= 0.04 else None,
        rng.choice(PAKET) if rng.random() >= 0.03 else None,
        tanggal,
        lat,
        lon,
    ]


def pin_zip(path):
    """Rewrite the xlsx zip with fixed timestamps so equal data gives equal bytes
    (zip entry times, and docProps/core.xml's modified, which openpyxl sets at save)."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            new = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            new.compress_type = zipfile.ZIP_DEFLATED
            if info.filename == "docProps/core.xml":
                xml = zin.read(info).decode()
                xml = re.sub(r"(<dcterms:modified[^>]*>)[^<]*", r"\g<1>2024-01-01T00:00:00Z", xml)
                zout.writestr(new, xml)
                continue
            with zin.open(info) as src, zout.open(new, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--out", help="xlsx file to write")
    ap.add_argument("--csv", help="also (or only) write the same rows as UTF-8 CSV")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    if not a.out and not a.csv:
        ap.error("give --out and/or --csv")
    rng = random.Random(a.seed)

    wb = ws = None
    if a.out:
        wb = openpyxl.Workbook(write_only=True)
        fixed = dt.datetime(2024, 1, 1)
        wb.properties.created = wb.properties.modified = fixed
        wb.properties.creator = "make_customers_xlsx.py"
        ws = wb.create_sheet("Pelanggan")
        ws.append(HEADERS)
    cf = cw = None
    if a.csv:
        cf = open(a.csv, "w", newline="", encoding="utf-8")
        cw = csv.writer(cf)
        cw.writerow(HEADERS)

    for i in range(1, a.rows + 1):
        row = make_row(i, rng)
        if ws is not None:
            ws.append(row)                # date objects become real Excel dates
        if cw is not None:
            cw.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date) else v
                         for v in row])

    if wb is not None:
        wb.save(a.out)
        pin_zip(a.out)
    if cf is not None:
        cf.close()


if __name__ == "__main__":
    main()
