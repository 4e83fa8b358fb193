"""The default checklists, from PACE Code C and ICVA guidance (ICV-DOMAIN.md).

Each question: (key, text, issue category if a "no" suggests an issue, else None).
Questions are worded so that "yes" is the good answer; a "no" on a flagged one pre-fills an issue.
"""

# Questions that apply to few detainees ("if needed", "for a girl", "if a foreign national wants
# it"): "all as expected" marks them "not applicable", as a paper form would have in most boxes.
# Every other yes/no question is expected to be "yes" (Question.expected).
EXPECTED_NOT_APPLICABLE = frozenset(
    {"interpreter_provided", "consulate_contacted", "appropriate_adult", "girl_cared_for_by_woman"}
)

DETAINEE = [
    (
        "Rights",
        [
            ("told_rights", "Told their rights", "rights"),
            (
                "given_notice_of_rights",
                "Given the written Notice of Rights and Entitlements",
                "rights",
            ),
            ("understood_rights", "Understood their rights", "rights"),
            ("offered_legal_advice", "Offered free legal advice", "rights"),
            ("someone_informed", "Someone informed of their detention, if wanted", "rights"),
            ("offered_codes", "Offered the Codes of Practice to read", None),
            (
                "told_can_see_doctor",
                "Told they can see a doctor or nurse if ill or injured",
                "health",
            ),
            ("interpreter_provided", "Interpreter provided if needed", "rights"),
            # A "no" suggests an issue: a foreign national's right under PACE Code C s.7.
            (
                "consulate_contacted",
                "Embassy or consulate contacted, if a foreign national wants it",
                "rights",
            ),
        ],
    ),
    (
        "Health and welfare",
        [
            ("medical_needs_met", "Medical needs met and medication available", "health"),
            ("seen_by_healthcare", "Seen by a healthcare professional if requested", "health"),
            (
                "mental_health_referred",
                "Mental health needs identified and referred",
                "vulnerability",
            ),
            (
                "appropriate_adult",
                "Appropriate adult requested or present for a child or vulnerable adult",
                "vulnerability",
            ),
            (
                "girl_cared_for_by_woman",
                "A girl under 18 is in the care of a woman",
                "vulnerability",
            ),
        ],
    ),
    (
        "Food, drink and rest",
        [
            (
                "offered_food",
                "Offered food (two light meals and one main meal in 24 hours; dietary and religious needs met)",
                "welfare",
            ),
            ("offered_drinks", "Offered drinks", "welfare"),
            ("able_to_rest", "Able to rest (8 hours' continuous rest in 24)", "welfare"),
            ("offered_exercise", "Offered outdoor exercise where practicable", None),
        ],
    ),
    (
        "Dignity and conditions",
        [
            ("cell_clean_warm", "Cell clean, warm, lit and ventilated", "conditions"),
            ("clean_bedding", "Clean bedding and mattress", "welfare"),
            ("clothing_adequate", "Clothing adequate, or replacement offered", "welfare"),
            ("washing_offered", "Toilet and washing facilities, and a shower offered", "welfare"),
            ("toilet_privacy", "Toilet privacy in a CCTV-monitored cell", None),
            (
                "private_talk_offered",
                "Offered a private talk with staff (of the same sex if wished) about health and hygiene",
                None,
            ),
            ("period_products", "Free period products offered", "dignity"),
            ("reading_material", "Reading material offered", None),
            ("religious_needs", "Religious items and needs met", None),
            ("call_bell_working", "Call bell working", "safety"),
            ("treated_with_dignity", "Treated with dignity and respect", "treatment"),
            (
                "no_complaint_of_force",
                "Free of any complaint about treatment or use of force",
                "treatment",
            ),
        ],
    ),
]

SUITE = [
    (
        "Cells and facilities",
        [
            (
                "cells_clean_safe",
                "Cells clean, in repair, free of graffiti and ligature points",
                "conditions",
            ),
            ("heating_lighting", "Heating and lighting working", "conditions"),
            ("cctv_working", "CCTV working", "safety"),
            ("showers_toilets", "Showers and toilets clean and working", "conditions"),
            ("kitchen", "Kitchen clean, in-date food in stock", "welfare"),
            (
                "stocks",
                "Stocks of blankets, replacement clothing, soap, period products and religious items",
                "welfare",
            ),
            ("medical_room", "Medical room clean and private (screens or curtains)", "conditions"),
        ],
    ),
    (
        "Safety and staffing",
        [
            ("pace_codes_available", "Current copies of the PACE Codes available", "rights"),
            (
                "free_of_hazards",
                "Free of safety hazards (loose items, unsecured furniture)",
                "safety",
            ),
            ("staffing_adequate", "Custody staffing adequate for the number of detainees", None),
        ],
    ),
]

# The Welsh of the defaults, for bilingual schemes (and any Welsh reader): the checklists' names
# by kind, the section titles by their English, the questions by key. Every default has its
# Welsh (tests/test_bilingual_content.py checks), so a bilingual scheme's version 1 publishes.
NAMES_CY = {
    "detainee": "Hawliau a lles pobl a gedwir",
    "suite": "Amodau swît y ddalfa",
}

SECTIONS_CY = {
    "Rights": "Hawliau",
    "Health and welfare": "Iechyd a lles",
    "Food, drink and rest": "Bwyd, diod a gorffwys",
    "Dignity and conditions": "Urddas ac amodau",
    "Cells and facilities": "Celloedd a chyfleusterau",
    "Safety and staffing": "Diogelwch a staffio",
}

QUESTIONS_CY = {
    # Rights
    "told_rights": "Wedi cael gwybod am eu hawliau",
    "given_notice_of_rights": "Wedi cael yr Hysbysiad ysgrifenedig o Hawliau a Hawlogaethau",
    "understood_rights": "Wedi deall eu hawliau",
    "offered_legal_advice": "Wedi cael cynnig cyngor cyfreithiol am ddim",
    "someone_informed": "Rhywun wedi cael gwybod eu bod yn y ddalfa, os oedden nhw eisiau",
    "offered_codes": "Wedi cael cynnig darllen y Codau Ymarfer",
    "told_can_see_doctor": (
        "Wedi cael gwybod y gallan nhw weld meddyg neu nyrs os ydyn nhw'n sâl neu wedi'u hanafu"
    ),
    "interpreter_provided": "Cyfieithydd wedi'i ddarparu os oedd angen",
    "consulate_contacted": (
        "Cysylltwyd â'r llysgenhadaeth neu'r is-gennad, os yw gwladolyn tramor eisiau hynny"
    ),
    # Health and welfare
    "medical_needs_met": "Anghenion meddygol wedi'u diwallu a meddyginiaeth ar gael",
    "seen_by_healthcare": "Wedi gweld gweithiwr gofal iechyd proffesiynol os gofynnwyd",
    "mental_health_referred": "Anghenion iechyd meddwl wedi'u nodi a'u hatgyfeirio",
    "appropriate_adult": (
        "Oedolyn priodol wedi'i alw neu'n bresennol ar gyfer plentyn neu oedolyn agored i niwed"
    ),
    "girl_cared_for_by_woman": "Mae merch dan 18 oed yng ngofal menyw",
    # Food, drink and rest
    "offered_food": (
        "Wedi cael cynnig bwyd (dau bryd ysgafn ac un prif bryd mewn 24 awr; anghenion deietegol "
        "a chrefyddol wedi'u diwallu)"
    ),
    "offered_drinks": "Wedi cael cynnig diodydd",
    "able_to_rest": "Yn gallu gorffwys (8 awr o orffwys di-dor ym mhob 24 awr)",
    "offered_exercise": "Wedi cael cynnig ymarfer corff yn yr awyr agored lle bo'n ymarferol",
    # Dignity and conditions
    "cell_clean_warm": "Y gell yn lân, yn gynnes, wedi'i goleuo ac wedi'i hawyru",
    "clean_bedding": "Dillad gwely a matres glân",
    "clothing_adequate": "Dillad digonol, neu ddillad eraill wedi'u cynnig",
    "washing_offered": "Cyfleusterau tŷ bach ac ymolchi, a chynnig cawod",
    "toilet_privacy": "Preifatrwydd wrth ddefnyddio'r tŷ bach mewn cell â theledu cylch cyfyng",
    "private_talk_offered": (
        "Wedi cael cynnig sgwrs breifat gyda staff (o'r un rhyw os dymunir) am iechyd a hylendid"
    ),
    "period_products": "Cynhyrchion mislif am ddim wedi'u cynnig",
    "reading_material": "Deunydd darllen wedi'i gynnig",
    "religious_needs": "Eitemau crefyddol ar gael ac anghenion crefyddol wedi'u diwallu",
    "call_bell_working": "Y gloch alw'n gweithio",
    "treated_with_dignity": "Wedi cael eu trin ag urddas a pharch",
    "no_complaint_of_force": "Dim cwyn am eu triniaeth nac am ddefnyddio grym",
    # Cells and facilities
    "cells_clean_safe": "Celloedd yn lân, mewn cyflwr da, heb graffiti na mannau clymu",
    "heating_lighting": "Y gwres a'r goleuadau'n gweithio",
    "cctv_working": "Teledu cylch cyfyng yn gweithio",
    "showers_toilets": "Cawodydd a thoiledau'n lân ac yn gweithio",
    "kitchen": "Cegin yn lân, a bwyd o fewn ei ddyddiad ar gael",
    "stocks": ("Stoc o flancedi, dillad newydd, sebon, cynhyrchion mislif ac eitemau crefyddol"),
    "medical_room": "Ystafell feddygol yn lân ac yn breifat (sgriniau neu lenni)",
    # Safety and staffing
    "pace_codes_available": "Copïau cyfredol o Godau PACE ar gael",
    "free_of_hazards": "Dim peryglon diogelwch (eitemau rhydd, dodrefn heb eu sicrhau)",
    "staffing_adequate": "Digon o staff yn y ddalfa ar gyfer nifer y bobl a gedwir",
}
