"""RegionMatcher on the real region data shipped in regions/data.

Facts of the data these tests rely on (idn-area-data 4.0.1):
- Pabuaran is the name of 15 villages; one of them, 32.01.01.1012, lies in
  Kecamatan Cibinong, Kabupaten Bogor, next to Pabuaran Mekar (32.01.01.1013).
- Pabuwaran (33.02.27.1004, Banyumas) is a different, real village.
- Cibinong is a district (32.01.01) and three villages (32.01.01.1006,
  32.01.11.2008, 32.14.03.2006).
- Bantarjati is a village in Kabupaten Bogor (32.01.32.2007) and in Kota
  Bogor (32.71.05.1001).
- Pakansari (32.01.01.1007) and Soka"an (35.13.15.2017) are unique names.
- Sukamaju and Suka Maju together name 119 villages.
- Bogor is a regency (32.01), a city (32.71) and a village in Indramayu
  (32.12.24.2001), Klaten and Manokwari.
"""

import pytest

from regions.matching import (
    AMBIGUOUS,
    EMPTY,
    MATCHED,
    ON_ADDRESS,
    ON_ADDRESS_FUZZY,
    ON_NAMES,
    ON_NAMES_FUZZY,
    ON_REGION_CODE,
    REGION_CODE,
    UNMATCHED,
    RegionMatcher,
)
from regions.names import (
    code_ancestors,
    compact_key,
    name_words,
    parse_region_code,
    read_typed_name,
    split_address,
)

PABUARAN_CIBINONG = "32.01.01.1012"
PAKANSARI = "32.01.01.1007"
BOJONGGEDE_VILLAGE = "32.01.13.2009"
BANTARJATI_KABUPATEN = "32.01.32.2007"
BANTARJATI_KOTA = "32.71.05.1001"
CIBINONG_VILLAGES = ("32.01.01.1006", "32.01.11.2008", "32.14.03.2006")
PABUARAN_CODES = (
    "32.01.01.1012",
    "32.01.09.2002",
    "32.01.11.2010",
    "32.01.12.2004",
    "32.01.13.1007",
    "32.02.37.2001",
    "32.13.05.2004",
    "33.27.06.2009",
    "33.29.01.2015",
    "36.02.14.2016",
    "36.03.02.2002",
    "36.04.28.2001",
    "36.71.07.1007",
    "36.73.03.1011",
)


@pytest.fixture(scope="module")
def matcher(regions_loaded, django_db_blocker):
    with django_db_blocker.unblock():
        return RegionMatcher()


def test_matcher_loads_with_four_queries(regions_loaded, db, django_assert_num_queries):
    with django_assert_num_queries(4):
        matcher = RegionMatcher()

    with django_assert_num_queries(0):
        result = matcher.match(village="Pabuaran", district="Cibinong")

    assert result.village_code == PABUARAN_CIBINONG


# Names with the higher levels


def test_unique_village_alone(matcher):
    result = matcher.match(village="Pakansari")

    assert result.status == MATCHED
    assert result.village_code == PAKANSARI
    assert result.matched_on == ON_NAMES
    assert result.candidates == ("Pakansari, Cibinong, Kabupaten Bogor, Jawa Barat (32.01.01.1007)",)
    assert result.candidate_codes == (PAKANSARI,)


def test_repeated_village_alone_is_ambiguous(matcher):
    result = matcher.match(village="Pabuaran")

    assert result.status == AMBIGUOUS
    assert result.village_code is None
    assert result.matched_on == ON_NAMES
    assert result.candidate_count == 15
    assert result.candidate_codes == PABUARAN_CODES[:5]
    assert result.candidates[0] == "Pabuaran, Cibinong, Kabupaten Bogor, Jawa Barat (32.01.01.1012)"
    assert len(result.candidates) == 5


def test_district_narrows_repeated_village(matcher):
    result = matcher.match(village="Pabuaran", district="Cibinong")

    assert result.status == MATCHED
    assert result.village_code == PABUARAN_CIBINONG
    assert result.matched_on == ON_NAMES


def test_spaced_and_joined_names_are_one_name(matcher):
    result = matcher.match(village="Sukamaju")

    assert result.status == AMBIGUOUS
    assert result.candidate_count == 119
    assert result.candidates[0] == "Suka Maju, Lawe Sigala-Gala, Kabupaten Aceh Tenggara, Aceh (11.02.02.2015)"


def test_regency_narrows_repeated_village(matcher):
    result = matcher.match(village="Sukamaju", regency="Kota Depok")

    assert result.status == MATCHED
    assert result.village_code == "32.76.08.1001"


def test_district_and_regency_narrow_together(matcher):
    result = matcher.match(village="Sukajadi", district="Tamansari", regency="Bogor")

    assert result.status == MATCHED
    assert result.village_code == "32.01.31.2008"


@pytest.mark.parametrize(
    ("village", "district", "regency", "province"),
    [
        ("Kel. Pabuaran", "Kec. Cibinong", "Kab. Bogor", "Prov. Jawa Barat"),
        ("Kelurahan Pabuaran", "Kecamatan Cibinong", "Kabupaten Bogor", "Provinsi Jawa Barat"),
        ("Desa Pabuaran", "kec cibinong", "KAB BOGOR", "JAWA BARAT"),
        ("Ds. Pabuaran", "Cibinong", "Bogor", "Jabar"),
        ("KEL/DESA  PABUARAN", "  Cibinong ", "Kabupaten  Bogor", "Jawa-Barat"),
        ("pabuaran.", "CIBINONG", None, None),
    ],
)
def test_prefixes_case_spaces_punctuation(matcher, village, district, regency, province):
    result = matcher.match(village=village, district=district, regency=regency, province=province)

    assert result.status == MATCHED
    assert result.village_code == PABUARAN_CIBINONG
    assert result.matched_on == ON_NAMES


def test_kabupaten_and_kota_of_same_name(matcher):
    kabupaten = matcher.match(village="Bantarjati", regency="Kab. Bogor")
    kota = matcher.match(village="Bantarjati", regency="Kota Bogor")
    kodya = matcher.match(village="Bantarjati", regency="Kodya Bogor")
    either = matcher.match(village="Bantarjati", regency="Bogor")

    assert kabupaten.village_code == BANTARJATI_KABUPATEN
    assert kota.village_code == BANTARJATI_KOTA
    assert kodya.village_code == BANTARJATI_KOTA
    assert either.status == AMBIGUOUS
    assert either.candidate_codes == (BANTARJATI_KABUPATEN, BANTARJATI_KOTA)


def test_apostrophe_in_official_name(matcher):
    result = matcher.match(village="Soka'an")

    assert result.village_code == "35.13.15.2017"


def test_village_named_with_level_word(matcher):
    """"Kota Baru" is a village name here, not "Kota" plus a regency."""
    result = matcher.match(village="Kota Baru", district="Kuta Alam")

    assert result.status == MATCHED
    assert result.village_code == "11.71.02.2005"


def test_exact_name_wins_over_variant(matcher):
    """Pabuwaran is a real village: typing it never gives a Pabuaran."""
    result = matcher.match(village="Pabuwaran")

    assert result.status == MATCHED
    assert result.village_code == "33.02.27.1004"
    assert result.matched_on == ON_NAMES


# Spelling variants


def test_misspelt_village_inside_district(matcher):
    result = matcher.match(village="Pabuwaran", district="Cibinong")

    assert result.status == MATCHED
    assert result.village_code == PABUARAN_CIBINONG
    assert result.matched_on == ON_NAMES_FUZZY


def test_doubled_letter_inside_district(matcher):
    result = matcher.match(village="Cibinnong", district="Kec. Cibinong")

    assert result.status == MATCHED
    assert result.village_code == "32.01.01.1006"
    assert result.matched_on == ON_NAMES_FUZZY


def test_misspelt_village_without_narrowing_is_ambiguous(matcher):
    result = matcher.match(village="Cibinnong")

    assert result.status == AMBIGUOUS
    assert result.matched_on == ON_NAMES_FUZZY
    assert result.candidate_codes == CIBINONG_VILLAGES


def test_misspelt_district_narrows(matcher):
    result = matcher.match(village="Pabuaran", district="Cibinnong")

    assert result.status == MATCHED
    assert result.village_code == PABUARAN_CIBINONG


def test_misspelt_province(matcher):
    result = matcher.match(village="Pabuaran", province="Jawa Tngah")

    assert result.status == AMBIGUOUS
    assert result.candidate_codes == ("33.27.06.2009", "33.29.01.2015")


def test_short_name_is_never_guessed(matcher):
    """Owaq (11.04.01.2019) is a village of Kecamatan Linge. "Owa" scores
    85.7 against it, above FUZZY_CUTOFF, but is too short to guess from."""
    assert matcher.match(village="Owaq", district="Linge").village_code == "11.04.01.2019"

    result = matcher.match(village="Owa", district="Linge")

    assert result.status == UNMATCHED
    assert result.failed_level == "village"


def test_unrelated_name_is_unmatched(matcher):
    result = matcher.match(village="Zzyzx Raya", district="Cibinong")

    assert result.status == UNMATCHED
    assert result.failed_level == "village"
    assert result.candidates == ()


# Levels that contradict each other


def test_village_outside_given_regency(matcher):
    result = matcher.match(village="Pakansari", regency="Kota Bogor")

    assert result.status == UNMATCHED
    assert result.failed_level == "village"
    assert result.candidate_codes == (PAKANSARI,)
    assert result.candidates == ("Pakansari, Cibinong, Kabupaten Bogor, Jawa Barat (32.01.01.1007)",)


def test_district_outside_given_regency(matcher):
    result = matcher.match(village="Pabuaran", district="Bojonggede", regency="Kota Bogor")

    assert result.status == UNMATCHED
    assert result.failed_level == "district"
    assert result.candidate_count == 15
    assert result.candidate_codes == PABUARAN_CODES[:5]


def test_unknown_province(matcher):
    result = matcher.match(village="Pabuaran", district="Cibinong", province="Atlantis")

    assert result.status == UNMATCHED
    assert result.failed_level == "province"


# Kode Wilayah


@pytest.mark.parametrize("code", ["32.01.01.1007", "3201011007", 3201011007, " 32.01.01.1007 "])
def test_region_code_forms(matcher, code):
    result = matcher.match(region_code=code)

    assert result.status == MATCHED
    assert result.village_code == PAKANSARI
    assert result.matched_on == ON_REGION_CODE


def test_region_code_wins_over_names(matcher):
    result = matcher.match(region_code="32.01.01.1007", village="Pabuaran", district="Bojonggede")

    assert result.village_code == PAKANSARI
    assert result.matched_on == ON_REGION_CODE


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({}, True),
        ({"village": "Pakansari", "district": "Cibinong", "regency": "Kabupaten Bogor", "province": "Jawa Barat"}, True),
        ({"village": "Kel. Pakansari", "district": "Kec. Cibinong", "regency": "Kab. Bogor"}, True),
        ({"village": "Pakansary"}, True),
        ({"village": "Pabuaran"}, False),
        ({"village": "Pakansari", "district": "Bojonggede"}, False),
        ({"regency": "Kota Bogor"}, False),
        ({"province": "Jawa Tengah"}, False),
    ],
)
def test_names_fit_region_code(matcher, names, expected):
    assert matcher.names_fit(PAKANSARI, **names) is expected


def test_district_code_narrows_names(matcher):
    result = matcher.match(region_code="320101", village="Pabuaran")

    assert result.village_code == PABUARAN_CIBINONG
    assert result.matched_on == ON_NAMES


def test_unknown_region_code_falls_back_to_names(matcher):
    result = matcher.match(region_code="99.99.99.9999", village="Pakansari")

    assert result.village_code == PAKANSARI
    assert result.matched_on == ON_NAMES


def test_malformed_region_code_alone(matcher):
    result = matcher.match(region_code="abc")

    assert result.status == UNMATCHED
    assert result.failed_level == REGION_CODE


def test_district_code_alone_names_no_village(matcher):
    result = matcher.match(region_code="32.01.01")

    assert result.status == UNMATCHED
    assert result.failed_level == "village"


def test_nothing_given_is_empty(matcher):
    assert matcher.match().status == EMPTY
    assert matcher.match(village="  ", address=None, region_code="").status == EMPTY


# Free-text address


def test_address_with_village_and_district(matcher):
    result = matcher.match(address="Jl. Mawar No. 5 RT 01/RW 02, Pabuaran, Cibinong")

    assert result.status == MATCHED
    assert result.village_code == PABUARAN_CIBINONG
    assert result.matched_on == ON_ADDRESS
    assert result.street == "Jl. Mawar No. 5 RT 01/RW 02"


def test_address_with_level_words(matcher):
    result = matcher.match(address="Kp. Sawah RT 03/RW 05, Desa Bojonggede, Kec. Bojonggede, Kab. Bogor")

    assert result.status == MATCHED
    assert result.village_code == BOJONGGEDE_VILLAGE
    assert result.street == "Kp. Sawah RT 03/RW 05"


def test_address_without_commas_between_levels(matcher):
    result = matcher.match(address="Jl. Mawar 5 RT 01/RW 02 Kel. Pabuaran Kec. Cibinong Kab. Bogor")

    assert result.village_code == PABUARAN_CIBINONG
    assert result.street == "Jl. Mawar 5 RT 01/RW 02"


def test_address_with_postal_code_and_country(matcher):
    result = matcher.match(address="Bantarjati, Kota Bogor, Jawa Barat 16153, Indonesia")

    assert result.status == MATCHED
    assert result.village_code == BANTARJATI_KOTA
    assert result.street == ""


def test_address_repeated_village_is_ambiguous(matcher):
    result = matcher.match(address="Jl. Mawar No. 5, Pabuaran")

    assert result.status == AMBIGUOUS
    assert result.matched_on == ON_ADDRESS
    assert result.candidate_count == 15
    assert result.street == "Jl. Mawar No. 5"


def test_address_regency_of_both_kinds_is_ambiguous(matcher):
    result = matcher.match(address="Jl. Melati 2, Bantarjati, Bogor")

    assert result.status == AMBIGUOUS
    assert result.candidate_codes == (BANTARJATI_KABUPATEN, BANTARJATI_KOTA)


def test_address_misspelt_village(matcher):
    result = matcher.match(address="Jl. Mawar 5, Pabuwaran, Cibinong")

    assert result.status == MATCHED
    assert result.village_code == PABUARAN_CIBINONG
    assert result.matched_on == ON_ADDRESS_FUZZY


def test_address_district_as_last_part_is_not_village(matcher):
    """Cibinong is also a village, but as the last part it names the district."""
    result = matcher.match(address="Pabuaran, Cibinong")

    assert result.village_code == PABUARAN_CIBINONG


def test_address_ending_in_regency_only(matcher):
    """Bogor is a regency, a city and a village in Indramayu, Klaten and
    Manokwari. An Alamat that ends in it names the regency or city."""
    result = matcher.match(address="Jl. Melati 2, Bogor")

    assert result.status == UNMATCHED
    assert result.candidates == ()
    assert result.street == "Jl. Melati 2"


def test_village_named_like_regency_with_district(matcher):
    result = matcher.match(address="Desa Bogor, Sukra, Indramayu")

    assert result.status == MATCHED
    assert result.village_code == "32.12.24.2001"


def test_address_with_contradicting_regency(matcher):
    result = matcher.match(address="Pabuaran, Cibinong, Kab. Banyumas")

    assert result.status == UNMATCHED
    assert result.failed_level == "village"


def test_address_street_only(matcher):
    result = matcher.match(address="Jl. Mawar No. 5")

    assert result.status == UNMATCHED
    assert result.matched_on == ON_ADDRESS
    assert result.street == "Jl. Mawar No. 5"


def test_address_narrowed_by_regency_column(matcher):
    result = matcher.match(address="Jl. Anggrek 1, Bantarjati", regency="Kota Bogor")

    assert result.village_code == BANTARJATI_KOTA


def test_village_column_wins_over_address(matcher):
    result = matcher.match(village="Pakansari", address="Jl. Mawar 5, Pabuaran, Cibinong")

    assert result.village_code == PAKANSARI
    assert result.matched_on == ON_NAMES


@pytest.mark.parametrize(
    ("address", "street"),
    [
        ("Jl. Mawar No. 5 RT 01/RW 02, Pabuaran, Cibinong", "Jl. Mawar No. 5 RT 01/RW 02"),
        ("Kp. Sawah RT 03/RW 05, Desa Bojonggede, Kec. Bojonggede, Kab. Bogor", "Kp. Sawah RT 03/RW 05"),
        ("Jl. Desa Baru No 5, Pabuaran, Cibinong", "Jl. Desa Baru No 5"),
        ("Jl. Mawar No. 5", "Jl. Mawar No. 5"),
        ("Jl. Mawar 5, Pabuaran", "Jl. Mawar 5"),
        ("", ""),
    ],
)
def test_parse_street(matcher, address, street):
    assert matcher.parse_street(address) == street


# Name helpers


def test_compact_key():
    assert compact_key("Suka Maju") == "sukamaju"
    assert compact_key("SUKA-MAJU") == "sukamaju"
    assert compact_key('Soka"an') == "sokaan"
    assert compact_key("Cimahi Selatan ") == "cimahiselatan"


@pytest.mark.parametrize("text, expected", [
    ("Suka Maju", ["suka", "maju"]),
    ("Ba'u", ["ba", "u"]),
    ("Bañuwangi Çiamis", ["banuwangi", "ciamis"]),
    ("STRASSE Straße", ["strasse", "strasse"]),
    ("Ｓｕｋａ ①", ["suka", "1"]),
    ("KOTA\u212a", ["kotak"]),
    (1101, ["1101"]),
])
def test_name_words(text, expected):
    assert name_words(text) == expected


@pytest.mark.parametrize("code, expected", [
    ("32.01.01.2001", ("32", "32.01", "32.01.01", "32.01.01.2001")),
    ("32", ("32",)),
    ("", ("",)),
    ("32..01", ("32", "32.", "32..01")),
    (".01", ("", ".01")),
])
def test_code_ancestors(code, expected):
    assert code_ancestors(code) == expected


def test_read_typed_name():
    typed = read_typed_name("Kab. Adm. Kepulauan Seribu")

    assert typed.level == "regency"
    assert typed.key == "kepulauanseribu"
    assert typed.regency_kind == "kabupaten"
    assert typed.full_key == "kabadmkepulauanseribu"
    assert read_typed_name("Kota").level is None
    assert read_typed_name("Kel/Desa Pabuaran").key == "pabuaran"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("32", "32"),
        ("3201", "32.01"),
        ("32.01.01", "32.01.01"),
        ("3201011007", "32.01.01.1007"),
        (3201011007, "32.01.01.1007"),
        ("32.01.011007", None),
        ("320101100", None),
        ("Pabuaran", None),
        (None, None),
    ],
)
def test_parse_region_code(value, code):
    assert parse_region_code(value) == code


def test_split_address_parts():
    parts = split_address("Jl. Mawar 5 Kel. Pabuaran, Kec. Cibinong; Bogor 16911\nJawa Barat")

    assert [part.text for part in parts] == ["Jl. Mawar 5", "Kel. Pabuaran", "Kec. Cibinong", "Bogor 16911", "Jawa Barat"]
    assert [part.is_street for part in parts] == [True, False, False, False, False]
    assert parts[3].name.key == "bogor"
