"""The glossary of D4: technical terms an agent should not say, each with its plain words.

The default list leaves out words that are also everyday Spanish at a desk ("servicio",
"proceso", "extensión", "servidor"): flagging them would fail agents who speak plainly.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from soporte.calls.models import GlossaryTerm
from soporte.calls.qa.rules import fold
from soporte.directory.models import User
from soporte.lib.errors import DomainError, Forbidden

DEFAULT_GLOSSARY: tuple[tuple[str, str], ...] = (
    ("DNS", "la dirección de internet del equipo"),
    ("IP", "el número que identifica al equipo en la red"),
    ("router", "el aparato de internet (módem)"),
    ("reiniciar el router", "apagar y volver a encender el aparato de internet"),
    ("firewall", "la protección de la red"),
    ("proxy", "el equipo intermedio por el que sale a internet"),
    ("VPN", "la conexión segura a la red de la oficina"),
    ("RAM", "la memoria del equipo"),
    ("BIOS", "la configuración de arranque del equipo"),
    ("driver", "el programa que hace funcionar el dispositivo"),
    ("caché", "los archivos temporales"),
    ("formatear", "borrar todo el disco y reinstalar"),
    ("ping", "una prueba de conexión"),
    ("SSID", "el nombre de la red inalámbrica"),
    # Networks and internet.
    ("gateway", "la puerta de salida de su red a internet"),
    ("puerta de enlace", "la salida de su red a internet"),
    ("DHCP", "la asignación automática de dirección en la red"),
    ("máscara de subred", "un ajuste de la red"),
    ("subred", "una parte de la red"),
    ("ethernet", "el cable de red"),
    ("RJ45", "el conector del cable de red"),
    ("switch", "el aparato que reparte el cable de red"),
    ("access point", "la antena de wifi"),
    ("punto de acceso", "la antena de wifi"),
    ("ancho de banda", "la velocidad de su internet"),
    ("latencia", "el retraso de la conexión"),
    ("paquetes perdidos", "cortes breves de la conexión"),
    ("dirección MAC", "el número de serie de la tarjeta de red"),
    ("NAT", "un ajuste del aparato de internet"),
    ("TCP", "la forma en que viajan los datos por la red"),
    ("UDP", "una forma en que viajan los datos por la red"),
    ("HTTP", "la forma en que se abren las páginas web"),
    ("HTTPS", "la conexión segura a una página web"),
    ("URL", "la dirección de la página"),
    ("hosting", "el servicio donde está guardada la página"),
    ("LAN", "la red de la oficina"),
    ("WAN", "la conexión hacia afuera de la oficina"),
    ("WLAN", "la red inalámbrica"),
    ("WPA2", "la contraseña de seguridad del wifi"),
    ("WPA", "la contraseña de seguridad del wifi"),
    ("traceroute", "una prueba del camino de la conexión"),
    ("tracert", "una prueba del camino de la conexión"),
    ("ipconfig", "una pantalla con los datos de la red"),
    ("ifconfig", "una pantalla con los datos de la red"),
    ("nslookup", "una prueba de la dirección de internet"),
    ("VLAN", "una parte separada de la red"),
    ("QoS", "la prioridad de la conexión"),
    ("throughput", "la velocidad real de la conexión"),
    ("fibra óptica", "la conexión de internet por cable de luz"),
    ("ONT", "el aparato de internet de fibra"),
    ("SMTP", "el servicio que envía el correo"),
    ("IMAP", "el servicio que recibe el correo"),
    ("POP3", "el servicio que descarga el correo"),
    ("Exchange", "el sistema de correo de la oficina"),
    ("LDAP", "el directorio de usuarios de la empresa"),
    ("Active Directory", "el directorio de usuarios de la empresa"),
    ("dominio de Windows", "la red de usuarios de la empresa"),
    ("SSL", "la conexión segura"),
    ("TLS", "la conexión segura"),
    ("FTP", "el envío de archivos a un servidor"),
    ("SSH", "la conexión remota segura"),
    ("RDP", "el escritorio remoto"),
    ("escritorio remoto", "ver su pantalla a distancia"),
    ("VNC", "ver su pantalla a distancia"),
    ("hotspot", "compartir internet desde el celular"),
    ("tethering", "compartir internet desde el celular"),
    # Hardware.
    ("CPU", "el procesador, el cerebro del equipo"),
    ("procesador", "el cerebro del equipo"),
    ("GPU", "la tarjeta de video"),
    ("tarjeta madre", "la placa principal del equipo"),
    ("placa base", "la placa principal del equipo"),
    ("motherboard", "la placa principal del equipo"),
    ("HDD", "el disco donde se guardan sus archivos"),
    ("SSD", "el disco rápido donde se guardan sus archivos"),
    ("NVMe", "el disco rápido del equipo"),
    ("SATA", "el cable del disco"),
    ("fuente de poder", "la pieza que da corriente al equipo"),
    ("fuente de alimentación", "la pieza que da corriente al equipo"),
    ("UPS", "la batería de respaldo"),
    ("no-break", "la batería de respaldo"),
    ("periférico", "un aparato conectado al equipo"),
    ("HDMI", "el cable de la pantalla"),
    ("DisplayPort", "el cable de la pantalla"),
    ("VGA", "el cable antiguo de la pantalla"),
    ("puerto serial", "una entrada antigua del equipo"),
    ("chipset", "una pieza de la placa principal"),
    ("overclock", "forzar la velocidad del equipo"),
    ("disipador", "la pieza que enfría el procesador"),
    ("pasta térmica", "la pasta que ayuda a enfriar el procesador"),
    ("thermal throttling", "el equipo se frena por calor"),
    ("firmware", "el programa interno del aparato"),
    ("UEFI", "la configuración de arranque del equipo"),
    ("CMOS", "la pila que guarda la configuración"),
    ("jumper", "un puente en la placa del equipo"),
    ("RAID", "varios discos que se respaldan entre sí"),
    ("NAS", "el disco compartido de la red"),
    ("tóner", "la tinta en polvo de la impresora"),
    ("cola de impresión", "la lista de documentos por imprimir"),
    ("spooler", "el servicio que manda a imprimir"),
    ("fusor", "la pieza que fija la tinta en la hoja"),
    ("touchpad", "el panel del ratón de la laptop"),
    # Software and systems.
    ("sistema operativo", "el programa principal de la computadora"),
    ("kernel", "el núcleo del sistema"),
    ("registro de Windows", "la configuración interna de Windows"),
    ("regedit", "la configuración interna de Windows"),
    ("msconfig", "la configuración de inicio de Windows"),
    ("modo seguro", "un arranque con lo mínimo"),
    ("safe mode", "un arranque con lo mínimo"),
    ("pantallazo azul", "un error grave que reinicia el equipo"),
    ("BSOD", "un error grave que reinicia el equipo"),
    ("kernel panic", "un error grave del sistema"),
    ("administrador de tareas", "la ventana que muestra los programas abiertos"),
    ("task manager", "la ventana que muestra los programas abiertos"),
    ("línea de comandos", "la ventana de comandos"),
    ("CMD", "la ventana de comandos"),
    ("PowerShell", "la ventana de comandos"),
    ("script", "un programa pequeño"),
    ("parche", "una actualización de seguridad"),
    ("hotfix", "una corrección urgente"),
    ("rollback", "volver a la versión anterior"),
    ("backup", "una copia de seguridad"),
    ("respaldo incremental", "una copia solo de lo que cambió"),
    ("snapshot", "una foto del estado del equipo"),
    ("máquina virtual", "una computadora simulada dentro de otra"),
    ("virtualización", "varias computadoras simuladas en una"),
    ("cluster", "varios servidores trabajando juntos"),
    ("base de datos", "donde el sistema guarda la información"),
    ("SQL", "el lenguaje de la base de datos"),
    ("query", "una consulta a la base de datos"),
    ("API", "la conexión entre programas"),
    ("log", "el registro de lo que pasó en el equipo"),
    ("debug", "la búsqueda del error"),
    ("bug", "un error del programa"),
    ("cookies", "los datos que guardan las páginas"),
    ("plugin", "un complemento del programa"),
    ("product key", "la clave del programa"),
    ("cloud", "los archivos guardados en internet"),
    ("permisos NTFS", "quién puede abrir cada carpeta"),
    ("carpeta compartida", "una carpeta que otros pueden abrir"),
    ("unidad de red", "una carpeta de la red"),
    ("mapear", "conectar una carpeta de la red"),
    ("perfil de usuario", "su cuenta en la computadora"),
    ("GPO", "una regla de la empresa para los equipos"),
    ("directiva de grupo", "una regla de la empresa para los equipos"),
    ("token", "el código de acceso"),
    ("2FA", "la verificación en dos pasos"),
    ("MFA", "la verificación en dos pasos"),
    ("autenticación", "la comprobación de que es usted"),
    ("hash", "una huella del archivo"),
    ("cifrado", "la protección con clave de sus datos"),
    ("encriptar", "proteger con clave"),
    ("BitLocker", "la protección con clave del disco"),
    # Security.
    ("malware", "un programa dañino"),
    ("ransomware", "un programa que secuestra sus archivos"),
    ("phishing", "un correo engañoso que roba datos"),
    ("spyware", "un programa que espía"),
    ("troyano", "un programa dañino disfrazado"),
    ("keylogger", "un programa que copia lo que escribe"),
    ("sandbox", "un espacio aislado para probar"),
    ("exploit", "un ataque que aprovecha un fallo"),
    ("vulnerabilidad", "un fallo de seguridad"),
    ("brute force", "un ataque que prueba contraseñas"),
    ("fuerza bruta", "un ataque que prueba contraseñas"),
)


def _manager(actor: User) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Solo un supervisor puede cambiar el glosario."))


def _check_term(term: str, plain: str, *, exclude: int | None = None) -> tuple[str, str]:
    term, plain = " ".join(term.split()), " ".join(plain.split())
    if not fold(term) or not plain:
        raise DomainError(
            _("Escriba el término y las palabras sencillas que lo sustituyen."),
            code="term_incomplete",
        )
    others = GlossaryTerm.objects.all()
    if exclude is not None:
        others = others.exclude(pk=exclude)
    clash = others.values_list("term", flat=True)
    if any(fold(t) == fold(term) for t in clash):
        raise DomainError(
            _("«%(term)s» ya está en el glosario.") % {"term": term}, code="term_exists"
        )
    return term, plain


@transaction.atomic
def add_term(*, actor: User, term: str, plain: str) -> GlossaryTerm:
    _manager(actor)
    term, plain = _check_term(term, plain)
    return GlossaryTerm.objects.create(term=term, plain=plain)


@transaction.atomic
def update_term(*, actor: User, glossary_term: GlossaryTerm, term: str, plain: str) -> GlossaryTerm:
    _manager(actor)
    glossary_term.term, glossary_term.plain = _check_term(term, plain, exclude=glossary_term.pk)
    glossary_term.save(update_fields=["term", "plain"])
    return glossary_term


@transaction.atomic
def delete_term(*, actor: User, glossary_term: GlossaryTerm) -> None:
    _manager(actor)
    glossary_term.delete()


def ensure_default_glossary() -> int:
    """Add the default terms the desk does not have yet (the demo and new desks); returns how many."""
    have = {fold(t) for t in GlossaryTerm.objects.values_list("term", flat=True)}
    new = [GlossaryTerm(term=t, plain=p) for t, p in DEFAULT_GLOSSARY if fold(t) not in have]
    GlossaryTerm.objects.bulk_create(new)
    return len(new)
