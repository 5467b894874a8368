"""Well-known vendor properties in the user's words, for the conflict dialog's field rows.

Android writes the contact fields vCard has no property for as ``X-ANDROID-CUSTOM`` with
the data row's MIME type and columns (``vnd.android.cursor.item/nickname;Bobby;1;;…``:
``data1`` the value, ``data2`` its type, ``data3`` a custom label). Apple, Outlook,
Evolution, KAddressBook and older clients write ``X-`` properties of their own
(``X-ABRELATEDNAMES``, ``X-SOCIALPROFILE``, ``X-AIM``, ``X-MS-MANAGER``…). This module
says what such a line is ("Nickname", "Related name (brother)") and shows its value
without the encoding around it. Labels are English; the desktop app translates them in
the context "FieldLabel" (``syncgui.gui.conflict_table.FIELD_LABELS`` lists them)."""

from __future__ import annotations

from syncgui.providers.vcard.card import ContentLine

ANDROID = "X-ANDROID-CUSTOM"
_ANDROID_PREFIX = "vnd.android.cursor.item/"

#: Android data kinds (the part of the MIME type after ``vnd.android.cursor.item/``)
ANDROID_KINDS = {
    "nickname": "Nickname",
    "relation": "Related name",
    "contact_event": "Date",
    "website": "Website",
    "note": "Note",
    "im": "Instant messaging",
    "sip_address": "Internet call",
    "organization": "Organization",
    "postal-address_v2": "Address",
    "email_v2": "Email",
    "phone_v2": "Phone",
    "photo": "Photo",
    "group_membership": "Groups",
    "identity": "Identity",
    "name": "Name",
}

# Android's type numbers (ContactsContract.CommonDataKinds.*.TYPE_*); 0 is "custom":
# the label is in data3
_RELATION_TYPES = {
    "1": "assistant", "2": "brother", "3": "child", "4": "domestic partner", "5": "father",
    "6": "friend", "7": "manager", "8": "mother", "9": "parent", "10": "partner",
    "11": "referred by", "12": "relative", "13": "sister", "14": "spouse",
}  # fmt: skip
_EVENT_TYPES = {"1": "anniversary", "2": "other", "3": "birthday"}
_NICKNAME_TYPES = {"2": "other name", "3": "maiden name", "4": "short name", "5": "initials"}
_IM_PROTOCOLS = {
    "0": "AIM", "1": "Windows Live", "2": "Yahoo", "3": "Skype", "4": "QQ",
    "5": "Google Talk", "6": "ICQ", "7": "Jabber", "8": "NetMeeting",
}  # fmt: skip
_TYPES = {"relation": _RELATION_TYPES, "contact_event": _EVENT_TYPES, "nickname": _NICKNAME_TYPES}

#: other vendors' X- properties
X_PROPERTIES = {
    "X-ABDATE": "Date",
    "X-ABRELATEDNAMES": "Related name",
    "X-SOCIALPROFILE": "Social profile",
    "X-ABADR": "Address country",
    "X-ABSHOWAS": "Show as",
    "X-PHONETIC-FIRST-NAME": "Phonetic first name",
    "X-PHONETIC-MIDDLE-NAME": "Phonetic middle name",
    "X-PHONETIC-LAST-NAME": "Phonetic last name",
    "X-PHONETIC-ORG": "Phonetic organization",
    "X-MAIDENNAME": "Maiden name",
    "X-ASSISTANT": "Assistant",
    "X-MANAGER": "Manager",
    "X-SPOUSE": "Spouse",
    "X-ANNIVERSARY": "Anniversary",
    "X-GENDER": "Gender",
    "X-AIM": "Instant messaging (AIM)",
    "X-ICQ": "Instant messaging (ICQ)",
    "X-JABBER": "Instant messaging (Jabber)",
    "X-MSN": "Instant messaging (MSN)",
    "X-YAHOO": "Instant messaging (Yahoo)",
    "X-SKYPE": "Instant messaging (Skype)",
    "X-SKYPE-USERNAME": "Instant messaging (Skype)",
    "X-GOOGLE-TALK": "Instant messaging (Google Talk)",
    "X-GTALK": "Instant messaging (Google Talk)",
    "X-QQ": "Instant messaging (QQ)",
    "X-GADUGADU": "Instant messaging (Gadu-Gadu)",
    "X-GROUPWISE": "Instant messaging (GroupWise)",
    "X-TWITTER": "Social profile (Twitter)",
    "X-MS-IMADDRESS": "Instant messaging",
    "X-MS-MANAGER": "Manager",
    "X-MS-ASSISTANT": "Assistant",
    "X-MS-SPOUSE": "Spouse",
    "X-MS-ANNIVERSARY": "Anniversary",
    "X-MS-CARDPICTURE": "Photo",
    "X-EVOLUTION-MANAGER": "Manager",
    "X-EVOLUTION-ASSISTANT": "Assistant",
    "X-EVOLUTION-SPOUSE": "Spouse",
    "X-EVOLUTION-ANNIVERSARY": "Anniversary",
    "X-EVOLUTION-BLOG-URL": "Blog",
    "X-KADDRESSBOOK-X-MANAGERSNAME": "Manager",
    "X-KADDRESSBOOK-X-ASSISTANTSNAME": "Assistant",
    "X-KADDRESSBOOK-X-SPOUSENAME": "Spouse",
    "X-KADDRESSBOOK-X-ANNIVERSARY": "Anniversary",
    "X-KADDRESSBOOK-BLOGFEED": "Blog",
    "X-KADDRESSBOOK-X-IMADDRESS": "Instant messaging",
    "X-WAB-GENDER": "Gender",
    ANDROID: "Android field",
}


def labels() -> set[str]:
    """Every label this module gives (without qualifiers), for translation lists."""
    found = {*ANDROID_KINDS.values(), "Android field", "Birthday"}
    found |= {label.partition(" (")[0] for label in X_PROPERTIES.values()}
    return found


def vendor_field(line: ContentLine) -> tuple[str, str | None] | None:
    """``(label, text)`` of a vendor property this module knows (``text`` None: show the
    value as usual), else None. An Android line of a kind not listed is "Android field"
    with its MIME type as the qualifier and its values as the text."""
    if line.name == ANDROID:
        return _android(line)
    label = X_PROPERTIES.get(line.name)
    return (label, None) if label is not None else None


def _android(line: ContentLine) -> tuple[str, str]:
    mime, *data = line.components(";")
    values = [d.strip() for d in data]
    kind = mime.strip().removeprefix(_ANDROID_PREFIX)
    label = ANDROID_KINDS.get(kind)
    if label is None:
        text = ", ".join(v for v in values if v)
        return f"Android field ({kind or mime})", text
    value = values[0] if values else ""
    kind_type = values[1] if len(values) > 1 else ""
    custom = values[2] if len(values) > 2 else ""
    if kind == "contact_event" and kind_type == "3":
        return "Birthday", value
    qualifier = custom if kind_type == "0" and custom else _TYPES.get(kind, {}).get(kind_type, "")
    if kind == "im":
        protocol = values[4] if len(values) > 4 else ""
        qualifier = _IM_PROTOCOLS.get(protocol, values[5] if len(values) > 5 else "")
    return (f"{label} ({qualifier})" if qualifier else label), value
