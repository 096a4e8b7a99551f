"""The words certutil prints, per UI language, as data: a new language is a new row.

Only labels and status lines are translated by Windows; the structure is not (16-`=`
separators, hex values, OIDs, `*_PROP_ID(n)` names, provider names, `CertUtil: -verb`, error
codes). The reader anchors on that structure and uses these tables to name what it found.

Sources: en from the real samples; fr/de/zh-CN rows marked "real" come from published real
output quoted in the certutil format notes; entries marked "guess" (all of es and ja) are Windows
translations that no real sample confirmed yet. A wrong guess costs little: the language-independent facts (a
`FAILED` code, a KeySpec value, a key container) still set the key state.
"""

from __future__ import annotations

# Field labels, printed as "<label>: value" (X509 part) or "<label> = value" (key part).
# kind -> labels. "cert_hash" must be the SHA-1 certificate hash line only.
FIELD_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "x509": ("X509 Certificate",),
        "serial": ("Serial Number",),
        "issuer": ("Issuer",),
        "subject": ("Subject",),
        "not_before": ("NotBefore",),
        "not_after": ("NotAfter",),
        "cert_hash": ("Cert Hash(sha1)",),
        "template": ("Template", "Certificate Template Name (Certificate Type)"),
        "root": ("Root Certificate",),
    },
    "de": {  # real: X.509-Zertifikat, Seriennummer, Aussteller, Antragsteller, Nicht vor/nach
        "x509": ("X.509-Zertifikat",),
        "serial": ("Seriennummer",),
        "issuer": ("Aussteller",),
        "subject": ("Antragsteller",),
        "not_before": ("Nicht vor",),
        "not_after": ("Nicht nach",),
        "cert_hash": ("Zertifikathash(sha1)", "Zertifikathash (sha1)", "Zertifikat-Hash(sha1)"),
        "template": ("Vorlage",),  # guess
        "root": ("Stammzertifikat",),  # guess
    },
    "fr": {  # real: Numéro de série, Émetteur, Objet, Hach. cert. (sha1)
        "x509": ("Certificat X509",),  # guess
        "serial": ("Numéro de série",),
        "issuer": ("Émetteur",),
        "subject": ("Objet",),
        "not_before": ("NotBefore",),
        "not_after": ("NotAfter",),
        "cert_hash": ("Hach. cert. (sha1)", "Hach. cert.(sha1)"),
        "template": ("Modèle",),  # guess
        "root": ("Certificat racine",),
    },
    "zh-CN": {  # real: 序列号, 颁发者, 使用者, 证书哈希(sha1)
        "x509": ("X509 证书",),  # guess
        "serial": ("序列号",),
        "issuer": ("颁发者",),
        "subject": ("使用者",),
        "not_before": ("NotBefore",),
        "not_after": ("NotAfter",),
        "cert_hash": ("证书哈希(sha1)",),
        "template": ("模板",),  # guess
        "root": ("根证书",),
    },
    "es": {  # guess: no real Spanish dump was found
        "x509": ("Certificado X509",),
        "serial": ("Número de serie",),
        "issuer": ("Emisor",),
        "subject": ("Sujeto", "Asunto"),
        "not_before": ("NotBefore",),
        "not_after": ("NotAfter",),
        "cert_hash": ("Hash de cert(sha1)", "Hash de certificado(sha1)"),
        "template": ("Plantilla",),
        "root": ("Certificado raíz",),
    },
    "ja": {  # guess: no real Japanese dump was found
        "x509": ("X509 証明書",),
        "serial": ("シリアル番号",),
        "issuer": ("発行者",),
        "subject": ("サブジェクト",),
        "not_before": ("NotBefore",),
        "not_after": ("NotAfter",),
        "cert_hash": ("証明書のハッシュ(sha1)", "証明書ハッシュ(sha1)"),
        "template": ("テンプレート",),
        "root": ("ルート証明書",),
    },
}

KEY_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "key_container": ("Key Container",),
        "unique_container": ("Unique container name",),
        "simple_container": ("Simple container name",),
        "provider": ("Provider",),
        "provider_type": ("ProviderType",),
        "flags": ("Flags",),
        "keyspec": ("KeySpec",),
    },
    "de": {  # Schlüsselcontainer/Anbieter from third-party fixtures; the rest guesses
        "key_container": ("Schlüsselcontainer",),
        "unique_container": ("Eindeutiger Containername",),
        "simple_container": ("Einfacher Containername",),
        "provider": ("Anbieter",),
        "provider_type": ("Anbietertyp",),
    },
    "fr": {  # Conteneur de clé/Fournisseur from third-party fixtures; the rest guesses
        "key_container": ("Conteneur de clé",),
        "unique_container": ("Nom de conteneur unique",),
        "simple_container": ("Nom de conteneur simple",),
        "provider": ("Fournisseur",),
        "provider_type": ("Type de fournisseur",),
    },
    "zh-CN": {  # real: 密钥容器, 提供程序, 提供程序类型
        "key_container": ("密钥容器",),
        "unique_container": ("唯一容器名称", "唯一容器名"),
        "simple_container": ("简单容器名称", "简单容器名"),
        "provider": ("提供程序",),
        "provider_type": ("提供程序类型",),
    },
    "es": {  # guess
        "key_container": ("Contenedor de claves",),
        "unique_container": ("Nombre de contenedor único",),
        "simple_container": ("Nombre de contenedor simple",),
        "provider": ("Proveedor",),
        "provider_type": ("Tipo de proveedor",),
    },
    "ja": {  # guess
        "key_container": ("キー コンテナー", "キー コンテナ"),
        "unique_container": ("一意なコンテナー名", "一意のコンテナー名"),
        "simple_container": ("単純なコンテナー名",),
        "provider": ("プロバイダー", "プロバイダ"),
        "provider_type": ("プロバイダーの種類",),
    },
}

# Whole-line status messages (matched at the start of a line, case-insensitively).
STATUS_LINES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "not_plain_exportable": ("Private key is NOT plain text exportable",),
        "not_exportable": ("Private key is NOT exportable",),
        "encryption_passed": ("Encryption test passed",),
        "encryption_failed": ("Encryption test FAILED",),
        "signature_passed": ("Signature test passed",),
        "signature_failed": ("Signature test FAILED",),
        "missing_keyset": ("Missing stored keyset",),
        "no_key_info": ("No key provider information",),
        "cannot_find_key": ("Cannot find the certificate and private key for decryption",),
        "private_key_verifies": ("Private key verifies",),
        "non_root": ("Non-root Certificate",),
        "signature_matches": ("Signature matches Public Key",),
        "archived": ("Archived!",),
    },
    "de": {  # guesses
        "not_plain_exportable": (
            "Der private Schlüssel kann NICHT als Klartext exportiert werden",
        ),
        "not_exportable": ("Der private Schlüssel kann NICHT exportiert werden",),
        "encryption_passed": ("Verschlüsselungstest wurde bestanden",),
        "encryption_failed": ("Verschlüsselungstest ist FEHLGESCHLAGEN",),
        "signature_passed": ("Signaturtest wurde bestanden",),
        "signature_failed": ("Signaturtest ist FEHLGESCHLAGEN",),
        "missing_keyset": ("Gespeicherter Schlüsselsatz fehlt",),
        "no_key_info": ("Keine Schlüsselanbieterinformationen",),
        "cannot_find_key": (
            "Das Zertifikat und der private Schlüssel für die Entschlüsselung wurden nicht gefunden",
        ),
        "non_root": ("Kein Stammzertifikat",),
        "archived": ("Archiviert!",),
    },
    "fr": {  # no_key_info and cannot_find_key are real; the rest guesses
        "not_plain_exportable": ("La clé privée n'est PAS exportable en texte brut",),
        "not_exportable": ("La clé privée n'est PAS exportable",),
        "encryption_passed": ("Test de chiffrement réussi",),
        "encryption_failed": ("Échec du test de chiffrement",),
        "signature_passed": ("Test de signature réussi",),
        "signature_failed": ("Échec du test de signature",),
        "missing_keyset": ("Jeu de clés stocké manquant",),
        "no_key_info": ("Aucune information sur le fournisseur de clé",),
        "cannot_find_key": (
            "Impossible de trouver le certificat et la clé privée pour le déchiffrement",
        ),
        "non_root": ("Certificat non racine",),
        "archived": ("Archivé!", "Archivé !"),
    },
    "zh-CN": {  # guesses
        "not_plain_exportable": ("私钥不可以纯文本形式导出",),
        "not_exportable": ("私钥不可导出", "私钥不能导出"),
        "encryption_passed": ("加密测试已通过", "加密测试通过"),
        "encryption_failed": ("加密测试失败",),
        "signature_passed": ("签名测试已通过", "签名测试通过"),
        "signature_failed": ("签名测试失败",),
        "missing_keyset": ("缺少存储的密钥集",),
        "no_key_info": ("没有密钥提供程序信息",),
        "cannot_find_key": ("找不到用于解密的证书和私钥",),
        "non_root": ("非根证书",),
        "signature_matches": ("签名与公钥匹配",),
    },
    "es": {  # guesses
        "not_plain_exportable": ("La clave privada NO se puede exportar como texto sin formato",),
        "not_exportable": ("La clave privada NO se puede exportar",),
        "encryption_passed": ("Prueba de cifrado superada",),
        "encryption_failed": ("ERROR en la prueba de cifrado",),
        "signature_passed": ("Prueba de firma superada",),
        "signature_failed": ("ERROR en la prueba de firma",),
        "missing_keyset": ("Falta el conjunto de claves almacenado",),
        "no_key_info": ("No hay información de proveedor de claves",),
        "cannot_find_key": (
            "No se encuentran el certificado y la clave privada para el descifrado",
        ),
        "non_root": ("Certificado no raíz",),
    },
    "ja": {  # guesses
        "not_plain_exportable": ("秘密キーはプレーン テキストとしてエクスポートできません",),
        "not_exportable": ("秘密キーはエクスポートできません",),
        "encryption_passed": ("暗号化テストが成功しました", "暗号化テストに合格しました"),
        "encryption_failed": ("暗号化テストが失敗しました", "暗号化テストに失敗しました"),
        "signature_passed": ("署名テストが成功しました", "署名テストに合格しました"),
        "signature_failed": ("署名テストが失敗しました", "署名テストに失敗しました"),
        "missing_keyset": ("格納されているキー セットがありません",),
        "no_key_info": ("キー プロバイダー情報がありません",),
        "cannot_find_key": ("暗号化解除用の証明書と秘密キーが見つかりません",),
        "non_root": ("ルート証明書ではありません",),
    },
}

# The word in "================ Certificate N ================".
CERTIFICATE_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("Certificate",),
    "de": ("Zertifikat",),
    "fr": ("Certificat",),
    "zh-CN": ("证书",),
    "es": ("Certificado",),
    "ja": ("証明書",),
}

# Store display names in the header line `my "Personal"`; used to split a header glued to the
# command line above it.
STORE_DISPLAY_NAMES: tuple[str, ...] = (
    "Personal",
    "Trusted Root Certification Authorities",
    "Intermediate Certification Authorities",
    "Web Hosting",
    "Remote Desktop",
    "Eigene Zertifikate",
    "Personnel",
    "个人",
    "Personal (Personal)",
)

# Test names for the `tests` list of the JSON contract.
TEST_OF_STATUS: dict[str, str] = {
    "encryption_passed": "encryption-passed",
    "encryption_failed": "encryption-failed",
    "signature_passed": "signature-passed",
    "signature_failed": "signature-failed",
    "private_key_verifies": "private-key-verifies",
}

# SHA-1 hash lines that are NOT the certificate's thumbprint (name and key id hashes). A hash
# line with an unknown "(sha1)" label is a thumbprint candidate; these never are.
OTHER_SHA1_LABELS: tuple[str, ...] = (
    "Name Hash(sha1)",
    "Key Id Hash(sha1)",
    "Namenshash (sha1)",
    "Namenshash(sha1)",
    "Schlüssel-ID-Hash(sha1)",
    "Hach. nom (sha1)",
    "Hach. ID clé (sha1)",
    "名称哈希(sha1)",
    "密钥 ID 哈希(sha1)",
    "Hash de nombre(sha1)",
    "Hash de Id. de clave(sha1)",
)

# Verbs that work on a certificate store (so that `-user` or its absence says which store).
STORE_VERBS: frozenset[str] = frozenset(
    {"store", "repairstore", "exportpfx", "viewstore", "verifystore", "delstore", "scinfo"}
)

# Key Usage bits, most significant first, as the JSON names them.
KEY_USAGE_BITS: tuple[str, ...] = (
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
)

# Extension OIDs the reader reads.
OID_KEY_USAGE = "2.5.29.15"
OID_EKU = "2.5.29.37"
OID_SAN = "2.5.29.17"
OID_TEMPLATE = "1.3.6.1.4.1.311.21.7"
OID_TEMPLATE_NAME = "1.3.6.1.4.1.311.20.2"
