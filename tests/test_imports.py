from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import mapper
from mapper.cli import EXIT_OK, main
from mapper.gazetteer import LocalGazetteer
from mapper.gazetteer.imports import (
    Columns,
    import_geonames,
    import_table,
    installed_layers,
    remove_layer,
)
from tests.conftest import shared_path


def _geonames_row(
    geonameid: str, name: str, alternates: str, lat: str, lon: str, feature: str, country: str,
    admin1: str, population: str,
) -> list[str]:  # fmt: skip
    """One line of a GeoNames dump; the columns the importer ignores stay empty."""
    fclass, fcode = feature.split(".")
    return [
        geonameid, name, name, alternates, lat, lon, fclass, fcode, country, "", admin1,
        "", "", "", population, "", "", "", "2024-01-01",
    ]  # fmt: skip


GEONAMES = [
    _geonames_row("900001", "Zapadnoye", "Западное,Zapadnoe", "51.3", "35.1", "P.PPL", "RU", "41",
                  "120"),
    _geonames_row("900002", "Sudzha", "Суджа", "51.192", "35.271", "P.PPLA2", "RU", "41", "5127"),
    _geonames_row("900003", "Ozero", "", "50.1", "30.1", "H.LK", "UA", "13", "0"),
]  # fmt: skip


@pytest.fixture
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(mapper.settings, "data_folder", tmp_path / "data")
    monkeypatch.setattr(mapper.settings, "cache_folder", tmp_path / "cache")
    return tmp_path / "data"


def write_geonames(path: Path) -> Path:
    path.write_text("\n".join("\t".join(row) for row in GEONAMES) + "\n", encoding="utf-8")
    return path


def test_geonames_dump_becomes_a_layer(tmp_path: Path, data_folder: Path) -> None:
    layer = import_geonames(write_geonames(tmp_path / "RU.txt"), name="geonames-ru")
    assert layer.rows == 2  # the lake is not a place
    assert [x.name for x in installed_layers()] == ["geonames-ru"]
    gazetteer = LocalGazetteer()
    (place,) = gazetteer.lookup("Западное")
    assert (place.name, place.admin1, place.country) == ("Zapadnoye", "Kursk Oblast", "RU")
    # The dump's Sudzha duplicates the curated one: it only adds spellings.
    assert len([c for c in gazetteer.lookup("Sudzha") if c.kind == "settlement"]) == 1


def test_cyrillic_table_gets_latin_names_and_canonical_regions(
    tmp_path: Path, data_folder: Path
) -> None:
    table = tmp_path / "registry.csv"
    pd.DataFrame(
        {
            "settlement": ["Новая Сорочина", "Поповка", "Поповка"],
            "region": ["Курская область", "Курская область", "Белгородская область"],
            "municipality": ["Беловский", "Суджанский", "Краснояружский район"],
            "lat": [51.12, 51.30, 50.95472],
            "lon": [35.55, 35.30, 35.35083],
            "population": [150, 90, 320],
        }
    ).to_csv(table, index=False)
    columns = Columns(
        name="settlement", region="region", district="municipality", population="population"
    )
    layer = import_table(table, name="registry", columns=columns, country="RU")
    assert layer.rows == 3
    gazetteer = LocalGazetteer()
    (sorochina,) = gazetteer.lookup("Novaya Sorochina")
    assert sorochina.admin1 == "Kursk Oblast"
    assert sorochina.admin2 == "Belovsky District"
    popovkas = {(c.admin1, c.admin2) for c in gazetteer.lookup("Popovka") if c.country == "RU"}
    assert ("Kursk Oblast", "Sudzhansky District") in popovkas
    assert ("Belgorod Oblast", "Krasnoyaruzhsky District") in popovkas
    remove_layer("registry")
    assert installed_layers() == []


def test_bad_tables_say_what_is_wrong(tmp_path: Path, data_folder: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("title,y,x\nA,1,2\n", encoding="utf-8")
    with pytest.raises(mapper.InputError, match="no columns"):
        import_table(table, name="t", columns=Columns())
    with pytest.raises(mapper.ConfigurationError, match="layer name"):
        import_table(table, name="bad name!", columns=Columns(name="title", lat="y", lon="x"))
    with pytest.raises(mapper.ConfigurationError, match="no gazetteer layer"):
        remove_layer("nothing")


def test_cli_import_list_remove(
    tmp_path: Path, data_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = write_geonames(tmp_path / "RU.txt")
    argv = ["gazetteer", "import", str(dump), "--format", "geonames", "--name", "g", "-q"]
    assert main(argv) == EXIT_OK
    assert main(["gazetteer", "list"]) == EXIT_OK
    assert "g " in capsys.readouterr().out
    assert main(["gazetteer", "remove", "g"]) == EXIT_OK


def test_shared_registry_resolves_namesakes_from_context(
    tmp_path: Path, data_folder: Path, make_articles
) -> None:  # type: ignore[no-untyped-def]
    path = shared_path("data", "gazetteer", "ru_settlements_kursk_belgorod_bryansk.csv")
    columns = Columns(
        name="settlement",
        lat="latitude_dd",
        lon="longitude_dd",
        region="region",
        district="municipality",
        population="population",
        kind="type",
        id="oktmo",
    )
    layer = import_table(path, name="ru-registry", columns=columns, country="RU")
    assert layer.rows > 7000
    gazetteer = LocalGazetteer()
    popovkas = [c for c in gazetteer.lookup("Popovka") if c.country == "RU"]
    assert len(popovkas) >= 10
    articles = make_articles(
        ("2025-03-18", "Fighting near Demidovka and Popovka in the Belgorod region."),
        ("2025-03-18", "Russian troops entered Popovka in the Krasnoyaruzhsky district."),
    )
    found = mapper.mentions_from_articles(articles, gazetteer=gazetteer)
    for _, m in found[found["surface"] == "Popovka"].iterrows():
        assert m["status"] == "resolved"
        assert m["admin1"] == "Belgorod Oblast"
        assert (m["lat"], m["lon"]) == pytest.approx((50.95472, 35.35083), abs=0.02)


def test_missing_file_is_an_input_error(tmp_path: Path, data_folder: Path) -> None:
    with pytest.raises(mapper.InputError, match="no such file"):
        import_table(tmp_path / "missing.csv", name="m", columns=Columns())
    with pytest.raises(mapper.InputError, match="no such file"):
        import_geonames(tmp_path / "RU.txt", name="g")
