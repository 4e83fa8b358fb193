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
