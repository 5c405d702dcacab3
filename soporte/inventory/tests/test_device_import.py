"""Importing devices: a preview names every bad row in Spanish; a file with bad rows imports
nothing; a good file imports every row."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from soporte.inventory import device_import
from soporte.inventory.models import Device, DeviceImport
from soporte.inventory.tests.factories import make_device

BAD_CSV = """tipo;marca;modelo;número de serie;etiqueta;organización;fecha de compra;IP
laptop;Dell;Latitude 5440;DL-001;;Ferretería Anáhuac;2025-01-15;10.0.0.5
cafetera;Dell;X;DL-002;;Ferretería Anáhuac;;
impresora;HP;LaserJet M404;HP-777;;Ferretería Anáhuac;31/02/2025;
portátil;Dell;Latitude 5440;dl-001;;Ferretería Anáhuac;;
servidor;;PowerEdge;;;Ferretería Anáhuac;;
pc;Lenovo;M70q;LN-1;;Empresa Fantasma;;
pc;Lenovo;M70q;LN-2;;Clínica Santa Lucía;;999.1.1.1
pc;HP;ProDesk;EXISTE-1;;Ferretería Anáhuac;;
""".encode()


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(personas, now):
    make_device(personas.agent, personas.org_a, now, brand="HP", serial_number="EXISTE-1")
    before = Device.objects.count()
    staged, preview = device_import.stage_import(
        actor=personas.agent, name="equipos.csv", data=BAD_CSV, organisation=None, now=now
    )
    bad = {row.number: " ".join(row.errors) for row in preview.bad_rows}
    assert sorted(bad) == [3, 4, 5, 6, 7, 8, 9]  # row 2 is the only good one
    assert "cafetera" in bad[3]
    assert "no es una fecha" in bad[4]
    assert "se repite (fila 2)" in bad[5]
    assert "Falta la marca" in bad[6]
    assert "Empresa Fantasma" in bad[7]
    assert "IP" in bad[8]
    assert "EXISTE-1" in bad[9]
    messages = device_import.row_messages(preview)
    assert messages[0].startswith("Fila 3:")
    with pytest.raises(device_import.ImportError_) as refused:
        device_import.confirm_import(actor=personas.agent, staged=staged, now=now)
    assert refused.value.code == "bad_rows"
    assert len(refused.value.details["rows"]) == 7
    assert Device.objects.count() == before


def test_a_good_xlsx_imports_every_row(personas, now):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Tipo", "Marca", "Modelo", "Serie", "Responsable", "Fin de garantía", "MAC"])
    sheet.append(
        [
            "Impresora",
            "Brother",
            "HL-L2350",
            "BR-1",
            personas.person_a.full_name,
            "2027-06-30",
            "aabbccddeeff",
        ]
    )
    sheet.append(["Laptop", "Apple", "MacBook Air", "AP-9", "", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    staged, preview = device_import.stage_import(
        actor=personas.agent,
        name="equipos.xlsx",
        data=buffer.getvalue(),
        organisation=personas.org_a,
        now=now,
    )
    assert preview.ok, device_import.row_messages(preview)
    created = device_import.confirm_import(actor=personas.agent, staged=staged, now=now)
    assert [d.serial_number for d in created] == ["BR-1", "AP-9"]
    assert created[0].owner == personas.person_a and created[0].mac_address == "AA:BB:CC:DD:EE:FF"
    assert all(
        d.organisation == personas.org_a and d.inventory_tag.startswith("EQ-") for d in created
    )
    with pytest.raises(device_import.ImportError_):
        device_import.confirm_import(actor=personas.agent, staged=staged, now=now)


def test_the_import_page_previews_then_confirms(personas, now):
    agent = personas.client("agent")
    upload = SimpleUploadedFile("equipos.csv", BAD_CSV, content_type="text/csv")
    page = agent.post(reverse("inventory:device_import"), {"file": upload}).content.decode()
    assert "Fila 3:" in page and "no se importará nada" in page
    good = b"tipo,marca,serie\nlaptop,Acer,AC-1\nmonitor,LG,LG-1\n"
    page = agent.post(
        reverse("inventory:device_import"),
        {
            "file": SimpleUploadedFile("ok.csv", good, content_type="text/csv"),
            "organisation": personas.org_b.pk,
        },
    ).content.decode()
    assert "2 equipos listos para importar" in page
    staged = DeviceImport.objects.latest("id")
    response = agent.post(reverse("inventory:device_import_confirm", args=[staged.pk]))
    assert response.status_code == 302
    assert set(
        Device.objects.filter(organisation=personas.org_b).values_list("serial_number", flat=True)
    ) == {"AC-1", "LG-1"}
    # Customers never import.
    customer = personas.client("customer_a")
    assert (
        customer.post(reverse("inventory:device_import_confirm", args=[staged.pk])).status_code
        == 403
    )
