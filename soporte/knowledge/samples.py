"""The demo desk's knowledge: a dozen public articles for the common cases of the seed's
levels (slow PC, overheating, data loss, a server that does not answer, the printer…), two
internal ones, two months of blog posts every two or three days, and a few comments.

Called by `soporte.demo.load_demo`; written through the app's own use cases, so revisions,
search terms and sanitised HTML are real.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F

from soporte.directory.models import Area, User
from soporte.knowledge import blog, services
from soporte.knowledge.models import (
    Article,
    ArticleStatus,
    Category,
    Comment,
    CommentStatus,
    Post,
    PostStatus,
    Visibility,
)

# (title, level, area code, category slug, device kinds, tags, body)
ARTICLES: list[tuple[str, int, str, str, list[str], list[str], str]] = [
    (
        "Mi computadora está lenta",
        1,
        "",
        "equipos",
        ["desktop", "laptop"],
        ["rendimiento"],
        "## Qué hacer\n\n1. Reinicie el equipo: libera la memoria.\n2. Cierre los programas que "
        "no usa (revise los iconos junto al reloj).\n3. Deje al menos 20 % del disco libre.\n\n"
        "Si sigue lenta después de reiniciar, abra una solicitud: lo revisa el nivel 1.",
    ),
    (
        "La PC se calienta y se apaga sola",
        2,
        "hardware",
        "equipos",
        ["desktop", "laptop"],
        ["calentamiento", "ventilador"],
        "El sobrecalentamiento apaga el equipo para protegerlo.\n\n- Deje libres las rejillas "
        "de ventilación.\n- No use la portátil sobre la cama o un cojín.\n- Si el ventilador hace "
        "ruido o no gira, **no abra el equipo**: pida la limpieza interna a la mesa (nivel 2).",
    ),
    (
        "Perdí archivos: qué hacer primero",
        3,
        "respaldo",
        "datos",
        ["desktop", "laptop"],
        ["respaldo", "recuperación"],
        "## Deje de usar el disco\n\nCada archivo nuevo puede escribir encima de lo perdido. "
        "Apague el equipo y llame a la mesa: la recuperación la hace el nivel 3.\n\n"
        "## Revise antes\n\n- La papelera de reciclaje.\n- La carpeta de OneDrive o Google Drive.",
    ),
    (
        "El servidor no responde",
        4,
        "servidores",
        "servidores",
        ["server"],
        ["servidor", "red"],
        "Si nadie puede abrir las carpetas compartidas o el sistema de la empresa:\n\n"
        "1. Compruebe que su equipo sí tiene internet.\n2. Pregunte a un compañero si le pasa "
        "lo mismo.\n3. Llame a la mesa y diga la hora en que empezó: lo atiende el nivel 4.",
    ),
    (
        "La impresora no imprime",
        1,
        "impresoras",
        "impresoras",
        ["printer"],
        ["impresión"],
        "1. Revise que esté encendida y con papel.\n2. Mire si hay una luz ámbar: indica "
        "tóner bajo o papel atascado.\n3. En su equipo, abra **Impresoras** y cancele los "
        "documentos en cola.\n4. Apague la impresora 30 segundos y vuelva a encenderla.",
    ),
    (
        "Cómo sacar una hoja atascada",
        1,
        "impresoras",
        "impresoras",
        ["printer"],
        ["atasco", "papel"],
        "Abra la tapa frontal y jale la hoja **con las dos manos**, despacio y en el sentido "
        "del papel. No use objetos metálicos. Si se rompe, llame a la mesa.",
    ),
    (
        "No tengo internet",
        1,
        "redes",
        "redes",
        ["desktop", "laptop", "network"],
        ["wifi", "conexión"],
        "- Compruebe el icono de red junto al reloj.\n- Si usa cable, revise que esté "
        "conectado.\n- Si usa wifi, desconéctese y vuelva a conectarse.\n- Reinicie el módem "
        "solo si la mesa se lo pide.",
    ),
    (
        "Olvidé mi contraseña",
        1,
        "",
        "cuentas",
        [],
        ["contraseña", "acceso"],
        "En la pantalla de entrada elija **¿Olvidó su contraseña?** y siga el correo que le "
        "llega. La mesa nunca le pedirá su contraseña por teléfono.",
    ),
    (
        "El correo no recibe mensajes nuevos",
        1,
        "",
        "cuentas",
        ["desktop", "laptop", "phone"],
        ["correo"],
        "Revise la carpeta de spam y el espacio del buzón. Cierre y abra el programa de correo. "
        "Si usa el teléfono, compruebe que tiene datos o wifi.",
    ),
    (
        "Aparece una pantalla azul",
        2,
        "",
        "equipos",
        ["desktop", "laptop"],
        ["error"],
        "Anote el código que aparece (por ejemplo `MEMORY_MANAGEMENT`) y tome una foto. "
        "Reinicie. Si se repite, abra una solicitud con la foto: lo revisa el nivel 2.",
    ),
    (
        "El monitor dice «sin señal»",
        1,
        "",
        "equipos",
        ["monitor", "desktop"],
        ["pantalla"],
        "Revise que el cable de video (HDMI o DisplayPort) esté firme en los dos extremos y "
        "que el monitor tenga seleccionada la entrada correcta (botón *Input*).",
    ),
    (
        "Cómo respaldar sus archivos",
        1,
        "",
        "datos",
        ["desktop", "laptop"],
        ["respaldo"],
        "Guarde sus documentos en la carpeta sincronizada (OneDrive o Google Drive) o copie la "
        "carpeta **Documentos** a una memoria USB cada viernes.",
    ),
]

INTERNAL_ARTICLES: list[tuple[str, str]] = [
    (
        "Procedimiento de limpieza interna (nivel 2)",
        "Antiestática puesta, aire comprimido a 10 cm, pasta térmica nueva si el procesador "
        "pasa de 80 °C en reposo. Registre la limpieza en la bitácora como mantenimiento "
        "preventivo.",
    ),
    (
        "Reinicio ordenado del servidor de archivos (nivel 4)",
        "Avise a los usuarios con 10 minutos, detenga el servicio de respaldo, reinicie y "
        "compruebe los recursos compartidos antes de cerrar el ticket.",
    ),
]

CATEGORIES = [
    ("equipos", "Equipos"), ("datos", "Datos y respaldos"), ("servidores", "Servidores"),
    ("impresoras", "Impresoras"), ("redes", "Redes"), ("cuentas", "Cuentas y correo"),
    ("consejos", "Consejos"), ("novedades", "Novedades"), ("seguridad", "Seguridad"),
]  # fmt: skip

# Two months of posts, one every two or three days (the seed's cadence): (category, title, text)
POSTS: list[tuple[str, str, str]] = [
    (
        "consejos",
        "Cinco hábitos para que su PC no se ponga lenta",
        "Reiniciar una vez al día, cerrar pestañas, dejar espacio libre en el disco…",
    ),
    (
        "seguridad",
        "Cómo reconocer un correo falso",
        "Revise el remitente, desconfíe de la urgencia y nunca abra adjuntos inesperados.",
    ),
    (
        "novedades",
        "Nuevo horario de la mesa en diciembre",
        "Atendemos de 8:00 a 20:00 de lunes a sábado; el 24 y el 31 hasta las 14:00.",
    ),
    (
        "consejos",
        "Su portátil y el calor",
        "Un cojín bloquea la ventilación. Use una superficie dura y limpia las rejillas.",
    ),
    (
        "seguridad",
        "Contraseñas que sí se recuerdan",
        "Una frase de cuatro palabras es más segura y fácil de recordar que P@ssw0rd.",
    ),
    (
        "consejos",
        "La impresora compartida: buenas prácticas",
        "Recoja sus hojas, avise cuando quede poco tóner y no apague la impresora a la mitad.",
    ),
    (
        "novedades",
        "Ya puede seguir sus solicitudes desde el portal",
        "Entre con su usuario, vea el estado de cada solicitud y responda sin llamar.",
    ),
    (
        "consejos",
        "¿Respaldo en la nube o en disco externo?",
        "Lo ideal son los dos: la regla 3-2-1 explicada en un minuto.",
    ),
    (
        "seguridad",
        "Actualizaciones: por qué no posponerlas",
        "Cada actualización cierra puertas que ya conocen los atacantes.",
    ),
    (
        "consejos",
        "Cómo describir un problema para que lo resolvamos rápido",
        "Qué hacía, qué mensaje salió, desde cuándo pasa y si le pasa a alguien más.",
    ),
    (
        "novedades",
        "Cambiamos las impresoras de la sucursal norte",
        "Los nuevos modelos imprimen a doble cara por omisión: ahorre papel.",
    ),
    (
        "consejos",
        "El wifi de la oficina va lento: qué revisar",
        "Acérquese al punto de acceso, desconecte lo que no use y pruebe por cable.",
    ),
    (
        "seguridad",
        "Memorias USB encontradas: no las conecte",
        "Una memoria perdida puede ser una trampa. Entréguela a la mesa.",
    ),
    (
        "consejos",
        "Limpie su teclado sin dañarlo",
        "Apague, voltee, aire comprimido y un paño apenas húmedo. Nada de líquidos directos.",
    ),
    (
        "novedades",
        "Encuesta de satisfacción: gracias por responder",
        "El 92 % calificó la atención con 4 o 5. Seguimos mejorando los tiempos.",
    ),
    (
        "consejos",
        "Pantallas: brillo y descanso visual",
        "La regla 20-20-20: cada 20 minutos, mire 20 segundos a 6 metros.",
    ),
    (
        "seguridad",
        "Bloquee su equipo al levantarse",
        "Windows + L: un segundo que protege la información de su empresa.",
    ),
    (
        "consejos",
        "¿Su equipo hace ruidos raros?",
        "Clics del disco o un ventilador que zumba son avisos: llámenos antes de que falle.",
    ),
    (
        "novedades",
        "La mesa ahora atiende por chat",
        "Desde el portal puede escribirnos en horario de oficina.",
    ),
    (
        "consejos",
        "Organice su escritorio digital",
        "Menos iconos en el escritorio también significa un inicio de sesión más rápido.",
    ),
    (
        "seguridad",
        "Wifi público: úselo con cuidado",
        "Evite entrar al banco o al correo de la empresa sin la VPN.",
    ),
    (
        "consejos",
        "Qué hacer si se derrama café sobre la portátil",
        "Apáguela de inmediato, desconéctela, voltéela y llame a la mesa. No use secadora.",
    ),
    (
        "novedades",
        "Mantenimiento preventivo de enero",
        "Visitaremos cada sucursal para limpiar equipos y revisar respaldos.",
    ),
    (
        "consejos",
        "Atajos de teclado que ahorran tiempo",
        "Ctrl + Z, Ctrl + Shift + T y Windows + V: tres que usará todos los días.",
    ),
]

COMMENTS: list[tuple[int, str, str, str]] = [
    (0, "Lucía Méndez", "lucia.mendez@cliente.mx", "Lo de reiniciar a diario funcionó, gracias."),
    (1, "Jorge Ramírez", "jorge.ramirez@cliente.mx", "¿Puedo reenviarles un correo sospechoso?"),
    (4, "Ana Torres", "ana.torres@cliente.mx", "Muy clara la explicación de la frase de paso."),
]


def load(*, supervisor: User, now: dt.datetime) -> None:
    categories = {
        slug: Category.objects.get_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in CATEGORIES
    }
    areas = {area.code: area for area in Area.objects.all()}
    authors = [supervisor, *User.objects.filter(role="agent", is_active=True).order_by("id")[:3]]
    for n, (title, level, area, category, kinds, tags, body) in enumerate(ARTICLES):
        services.save_article(
            actor=authors[n % len(authors)],
            title=title,
            body=body,
            level=level,
            area=areas.get(area),
            category=categories[category],
            device_kinds=kinds,
            tags=tags,
            visibility=Visibility.PUBLIC,
            status=ArticleStatus.PUBLISHED,
            review_date=(now + dt.timedelta(days=30 * (n % 6) - 10)).date(),
            now=now - dt.timedelta(days=60 - n),
        )
    for title, body in INTERNAL_ARTICLES:
        services.save_article(
            actor=supervisor, title=title, body=body, level=2 if "nivel 2" in title else 4,
            visibility=Visibility.INTERNAL, status=ArticleStatus.PUBLISHED, now=now,
        )  # fmt: skip
    posts: list[Post] = []
    moment = now - dt.timedelta(days=61)
    for n, (category, title, text) in enumerate(POSTS):
        moment += dt.timedelta(days=2 + n % 2, hours=n % 5)
        posts.append(
            blog.save_post(
                actor=authors[n % len(authors)],
                title=title,
                excerpt=text,
                body=f"{text}\n\n## En resumen\n\n{text}\n\n¿Dudas? Escríbanos en los comentarios.",
                category=categories[category],
                tags=[categories[category].name.lower()],
                status=PostStatus.PUBLISHED,
                published_at=moment,
                log=False,
                now=now,
            )
        )
        Post.objects.filter(pk=posts[-1].pk).update(created_at=moment, updated_at=moment)
    blog.save_post(
        actor=supervisor,
        title="Lo que viene en la mesa de ayuda para el próximo año",
        body="Más artículos en el centro de ayuda y un chat en el portal.",
        category=categories["novedades"],
        status=PostStatus.SCHEDULED,
        publish_at=now + dt.timedelta(days=1),
        now=now,
    )
    for index, name, address, body in COMMENTS:
        post = posts[index]
        said_at = (post.published_at or now) + dt.timedelta(hours=5)
        Comment.objects.create(
            post=post, author_name=name, author_email=address, body=body,
            status=CommentStatus.APPROVED, created_at=said_at, confirmed_at=said_at,
        )  # fmt: skip
    Comment.objects.create(
        post=posts[-1], author_name="Ofertas", author_email="ofertas@spam.example",
        body="Gane dinero: https://casino.example.com", status=CommentStatus.HELD,
        hold_reason="Contiene enlaces.", created_at=now - dt.timedelta(hours=3),
    )  # fmt: skip
    # A little feedback, so the ranking has something to show.
    Article.objects.filter(
        title__in=["La impresora no imprime", "Mi computadora está lenta"]
    ).update(helpful_count=F("helpful_count") + 5)
