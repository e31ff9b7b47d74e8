"""Small, curated code maps: SNOMED CT and NNDSS condition codes to ICD-10.

The canonical tables hold WHO ICD-10 (the basis of China's national clinical
edition), while Synthea, FHIR and NNDSS sources code diagnoses in SNOMED CT or
in CDC event codes. These tables are deliberately small and reviewed by hand:
they cover the codes that occur in the real fixtures and common Synthea
conditions. Rules followed:

* WHO ICD-10, not ICD-10-CM: where the two differ the WHO code is used (end
  stage renal disease is N18.5, not CM's N18.6; stroke NOS is I64).
* The three-character category, plus the fourth character only where the
  SNOMED concept determines it (``E11`` for "type 2 diabetes mellitus", since
  E11.9 would assert "without complications").
* Social circumstances map only where ICD-10 chapter XXI has an exact
  category (unemployment Z56.0, homelessness Z59.0, stress Z73.3). Findings
  about history, education, employment, procedures, substances and
  "suspected" situations are not diagnoses and stay unmapped.
* A code that is not here maps to nothing: the connector leaves icd10 NULL and
  warns. Nothing is inferred from a description.

The NNDSS event codes are CDC's whole event code list (``nndss_icd10.csv``,
its source in its header), each with its ICD-10 equivalent where one exists
and the reason where none does; each keeps its name so a message naming the
condition differently is flagged.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from trusted_space.core.i18n import Text, english

SNOMED_SYSTEMS = frozenset(
    {"http://snomed.info/sct", "snomed-ct", "snomedct", "sct", "snomed", "2.16.840.1.113883.6.96"}
)
ICD10_SYSTEMS = frozenset(
    {"http://hl7.org/fhir/sid/icd-10", "icd-10", "icd10", "i10", "2.16.840.1.113883.6.3"}
)
# ICD-10-CM (the US clinical modification): read at its three-character
# category, which WHO ICD-10 shares; its fourth and later characters differ.
ICD10_CM_SYSTEMS = frozenset(
    {"http://hl7.org/fhir/sid/icd-10-cm", "icd-10-cm", "icd10cm", "i10c", "2.16.840.1.113883.6.90"}
)
# ICD-9-CM: never read as ICD-10; only through a crosswalk the provider declares.
ICD9_SYSTEMS = frozenset(
    {
        "http://hl7.org/fhir/sid/icd-9-cm",
        "icd-9-cm",
        "icd9cm",
        "icd9",
        "i9",
        "2.16.840.1.113883.6.103",
    }
)
# What a provider may declare a local code system to be (connectors/fhir.py):
# ``icd10`` (WHO, or China's national clinical edition, whose codes extend
# WHO's: taken as written), ``icd10-cm`` (category), ``icd9`` (crosswalk only).
EDITIONS = ("icd10", "icd10-cm", "icd9")
_NATIONAL = re.compile(r"[A-Z][0-9]{2}\.[0-9A-Z]{1,4}X[0-9]{3}")
_ICD_UNDOTTED = re.compile(r"([A-Z][0-9]{2})([0-9A-Z]{1,4})")
_ICD10 = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?")

# SNOMED CT concept id -> (WHO ICD-10, the concept's term, for review)
SNOMED_TO_ICD10: dict[str, tuple[str, str]] = {
    # circulatory
    "38341003": ("I10", "Hypertensive disorder"),
    "59621000": ("I10", "Essential hypertension"),
    "88805009": ("I50.0", "Chronic congestive heart failure"),
    "414545008": ("I25.9", "Ischemic heart disease"),
    "53741008": ("I25.1", "Coronary arteriosclerosis"),
    "22298006": ("I21.9", "Myocardial infarction"),
    "399211009": ("I25.2", "History of myocardial infarction"),
    "49436004": ("I48", "Atrial fibrillation"),
    "48724000": ("I34.0", "Mitral valve regurgitation"),
    "95281009": ("I46.1", "Sudden cardiac death"),
    "230690007": ("I64", "Cerebrovascular accident"),
    "399261000": ("Z95.1", "History of coronary artery bypass grafting"),
    # endocrine and metabolic
    "44054006": ("E11", "Diabetes mellitus type 2"),
    "73211009": ("E14", "Diabetes mellitus"),
    "127013003": ("E14.2", "Disorder of kidney due to diabetes mellitus"),
    "90781000119102": ("E11.2", "Microalbuminuria due to type 2 diabetes mellitus"),
    "157141000119108": ("E11.2", "Proteinuria due to type 2 diabetes mellitus"),
    "422034002": ("E11.3", "Retinopathy due to type 2 diabetes mellitus"),
    "1551000119108": ("E11.3", "Nonproliferative retinopathy due to type 2 diabetes"),
    "97331000119101": ("E11.3", "Macular edema and retinopathy due to type 2 diabetes"),
    "368581000119106": ("E11.4", "Neuropathy due to type 2 diabetes mellitus"),
    "15777000": ("R73", "Prediabetes"),
    "80394007": ("R73.9", "Hyperglycemia"),
    "55822004": ("E78.5", "Hyperlipidemia"),
    "302870006": ("E78.1", "Hypertriglyceridemia"),
    "162864005": ("E66.9", "Body mass index 30+ - obesity"),
    "408512008": ("E66", "Body mass index 40+ - severely obese"),
    "40930008": ("E03.9", "Hypothyroidism"),
    "190905008": ("E84.9", "Cystic fibrosis"),
    # kidney and urinary
    "431855005": ("N18.1", "Chronic kidney disease stage 1"),
    "431856006": ("N18.2", "Chronic kidney disease stage 2"),
    "433144002": ("N18.3", "Chronic kidney disease stage 3"),
    "431857002": ("N18.4", "Chronic kidney disease stage 4"),
    "46177005": ("N18.5", "End-stage renal disease"),
    "161665007": ("Z94.0", "History of renal transplant"),
    "307426000": ("N30.0", "Acute infective cystitis"),
    "38822007": ("N30.9", "Cystitis"),
    "68566005": ("N39.0", "Urinary tract infectious disease"),
    "197927001": ("N39.0", "Recurrent urinary tract infection"),
    "301011002": ("N39.0", "Escherichia coli urinary tract infection"),
    # respiratory
    "195967001": ("J45.9", "Asthma"),
    "233678006": ("J45.9", "Childhood asthma"),
    "10509002": ("J20.9", "Acute bronchitis"),
    "185086009": ("J44", "Chronic obstructive bronchitis"),
    "13645005": ("J44.9", "Chronic obstructive lung disease"),
    "87433001": ("J43.9", "Pulmonary emphysema"),
    "233604007": ("J18.9", "Pneumonia"),
    "67782005": ("J80", "Acute respiratory distress syndrome"),
    "65710008": ("J96.0", "Acute respiratory failure"),
    "444814009": ("J01.9", "Viral sinusitis"),
    "75498004": ("J01.9", "Acute bacterial sinusitis"),
    "36971009": ("J32.9", "Sinusitis"),
    "40055000": ("J32.9", "Chronic sinusitis"),
    "195662009": ("J02.9", "Acute viral pharyngitis"),
    "43878008": ("J02.0", "Streptococcal sore throat"),
    "446096008": ("J30.3", "Perennial allergic rhinitis"),
    "367498001": ("J30.2", "Seasonal allergic rhinitis"),
    "78275009": ("G47.3", "Obstructive sleep apnea syndrome"),
    # infections
    "91302008": ("A41.9", "Sepsis"),
    "76571007": ("A41", "Septic shock"),
    "840539006": ("U07.1", "COVID-19"),
    "87628006": ("A49.9", "Bacterial infectious disease"),
    "65363002": ("H66.9", "Otitis media"),
    # neoplasms
    "254637007": ("C34.9", "Non-small cell lung cancer"),
    "424132000": ("C34.9", "Non-small cell carcinoma of lung, TNM stage 1"),
    "254632001": ("C34.9", "Small cell carcinoma of lung"),
    "254837009": ("C50.9", "Malignant neoplasm of breast"),
    "363406005": ("C18.9", "Malignant neoplasm of colon"),
    "93761005": ("C18.9", "Primary malignant neoplasm of colon"),
    "94260004": ("C78.5", "Secondary malignant neoplasm of colon"),
    "92691004": ("D07.5", "Carcinoma in situ of prostate"),
    "68496003": ("K63.5", "Polyp of colon"),
    # digestive and dental
    "74400008": ("K37", "Appendicitis"),
    "66383009": ("K05", "Gingivitis"),
    "18718003": ("K06.9", "Gingival disease"),
    "109570002": ("K02.9", "Primary dental caries"),
    "196416002": ("K01.1", "Impacted molars"),
    "37320007": ("K08", "Loss of teeth"),
    # nervous system and mental
    "124171000119105": ("G43.0", "Chronic intractable migraine without aura"),
    "128613002": ("G40.9", "Seizure disorder"),
    "84757009": ("G40.9", "Epilepsy"),
    "26929004": ("G30.9", "Alzheimer's disease"),
    "230265002": ("G30.0", "Familial Alzheimer's disease of early onset"),
    "39898005": ("G47.9", "Sleep disorder"),
    "6525002": ("F19.2", "Dependent drug abuse"),
    "7200002": ("F10.2", "Alcoholism"),
    "5602001": ("F11.1", "Opioid abuse"),
    "36923009": ("F32", "Major depression, single episode"),
    "370143000": ("F32", "Major depressive disorder"),
    "47505003": ("F43.1", "Posttraumatic stress disorder"),
    "80583007": ("F41", "Severe anxiety (panic)"),
    # musculoskeletal
    "239873007": ("M17.9", "Osteoarthritis of knee"),
    "239872002": ("M16.9", "Osteoarthritis of hip"),
    "201834006": ("M19.0", "Localized, primary osteoarthritis of the hand"),
    "69896004": ("M06.9", "Rheumatoid arthritis"),
    "64859006": ("M81.9", "Osteoporosis"),
    "443165006": ("M80.9", "Pathological fracture due to osteoporosis"),
    "82423001": ("R52.2", "Chronic pain"),
    "278860009": ("M54.5", "Chronic low back pain"),
    "1121000119107": ("M54.2", "Chronic neck pain"),
    "57676002": ("M25.5", "Joint pain"),
    "68962001": ("M79.1", "Muscle pain"),
    # injuries
    "312608009": ("T14.1", "Laceration - injury"),
    "284551006": ("S91.3", "Laceration of foot"),
    "283371005": ("S51.9", "Laceration of forearm"),
    "283385000": ("S71.1", "Laceration of thigh"),
    "284549007": ("S61.9", "Laceration of hand"),
    "370247008": ("S01", "Facial laceration"),
    "384709000": ("T14.3", "Sprain"),
    "44465007": ("S93.4", "Sprain of ankle"),
    "70704007": ("S63.5", "Sprain of wrist"),
    "444470001": ("S83.5", "Injury of anterior cruciate ligament"),
    "125601008": ("S89.9", "Injury of knee"),
    "90460009": ("S19.9", "Injury of neck"),
    "39848009": ("S13.4", "Whiplash injury to neck"),
    "62106007": ("S06.0", "Concussion with no loss of consciousness"),
    "125605004": ("T14.2", "Fracture of bone"),
    "58150001": ("S42.0", "Fracture of clavicle"),
    "16114001": ("S82", "Fracture of ankle"),
    "65966004": ("S52.9", "Fracture of forearm"),
    "359817006": ("S72.0", "Closed fracture of hip"),
    "15724005": ("T08", "Fracture of vertebral column without spinal cord injury"),
    "48333001": ("T30.0", "Burn injury"),
    "403190006": ("T30.1", "Epidermal burn of skin"),
    "403191005": ("T30.2", "Partial thickness burn of skin"),
    "55680006": ("T50.9", "Drug overdose"),
    "419199007": ("T78.4", "Allergy to substance"),
    "241929008": ("T78.4", "Acute allergic reaction"),
    # pregnancy
    "72892002": ("Z34", "Normal pregnancy"),
    "156073000": ("O03.9", "Complete miscarriage"),
    "19169002": ("O03", "Miscarriage in first trimester"),
    "85116003": ("O03", "Miscarriage in second trimester"),
    "35999006": ("O02.0", "Blighted ovum"),
    "609496007": ("O26.9", "Complication occurring during pregnancy"),
    "398254007": ("O14.9", "Preeclampsia"),
    "198992004": ("O15.0", "Eclampsia in pregnancy"),
    # other diseases, symptoms and findings with an exact ICD-10 home
    "271737000": ("D64.9", "Anemia"),
    "24079001": ("L20.9", "Atopic dermatitis"),
    "40275004": ("L25.9", "Contact dermatitis"),
    "49727002": ("R05", "Cough"),
    "386661006": ("R50.9", "Fever"),
    "267036007": ("R06.0", "Dyspnea"),
    "56018004": ("R06.2", "Wheezing"),
    "66857006": ("R04.2", "Hemoptysis"),
    "267102003": ("R07.0", "Sore throat symptom"),
    "84229001": ("R53", "Fatigue"),
    "274531002": ("R93.1", "Abnormal findings diagnostic imaging heart+coronary circulation"),
    # encounters for a reason that ICD-10 chapter XXI names exactly
    "275978004": ("Z12.1", "Screening for malignant neoplasm of colon"),
    "389095005": ("Z30", "Contraception care"),
    "183996000": ("Z30.2", "Sterilization requested"),
    "73595000": ("Z73.3", "Stress"),
    "73438004": ("Z56.0", "Unemployed"),
    "32911000": ("Z59.0", "Homeless"),
    "105531004": ("Z59.1", "Housing unsatisfactory"),
}

# NNDSS event code (OBR-31) -> (WHO ICD-10 or "" when none, the condition's NNDSS name),
# read from connectors/nndss_icd10.csv: CDC's whole event code list, with its source
# in the file's header and a reason for every code left without an ICD-10 equivalent.
NNDSS_CODE_FILE = Path(__file__).with_name("nndss_icd10.csv")


def _read_nndss(path: Path) -> dict[str, tuple[str, str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    return {
        row["code"]: (row["icd10"], row["name"]) for row in csv.DictReader(lines) if row["code"]
    }


NNDSS_TO_ICD10: dict[str, tuple[str, str]] = _read_nndss(NNDSS_CODE_FILE)


def icd10_for_snomed(code: str) -> str | None:
    entry = SNOMED_TO_ICD10.get(code.strip())
    return entry[0] if entry else None


def icd10_for_coding(system: str | None, code: str | None) -> str | None:
    """ICD-10 for one coded value: SNOMED CT through the table, a WHO ICD-10
    code as given (when well formed), an ICD-10-CM code at its category;
    anything else (ICD-9 included) is None."""
    if not code:
        return None
    sys = (system or "").strip().lower()
    if sys in SNOMED_SYSTEMS:
        return icd10_for_snomed(code)
    if sys in ICD10_SYSTEMS:
        return icd10_as_written(code, "icd10")
    if sys in ICD10_CM_SYSTEMS:
        return icd10_as_written(code, "icd10-cm")
    return None


def icd10_as_written(code: str, edition: str) -> str | None:
    """A WHO ICD-10 code from one written in ``edition``: ``icd10`` as given
    (``E119`` read as ``E11.9``; China's national clinical edition's
    ``E11.900x001`` kept), ``icd10-cm`` at its three-character category."""
    value = code.strip().upper()
    undotted = _ICD_UNDOTTED.fullmatch(value)
    if undotted:
        value = f"{undotted[1]}.{undotted[2]}"
    if edition == "icd10-cm":
        return value[:3] if _ICD10.fullmatch(value) else None
    return value if _ICD10.fullmatch(value) or _NATIONAL.fullmatch(value) else None


def icd10_for_nndss(code: str) -> str | None:
    entry = NNDSS_TO_ICD10.get(code.strip())
    return entry[0] if entry and entry[0] else None


def nndss_known(code: str) -> bool:
    """Whether the code is on CDC's event code list (mapped or not)."""
    return code.strip() in NNDSS_TO_ICD10


def nndss_name_agrees(code: str, name: str) -> bool:
    """Whether a message's condition name matches the table's (ignoring case
    and punctuation); an absent name agrees."""
    entry = NNDSS_TO_ICD10.get(code.strip())
    if entry is None or not name.strip():
        return True
    return _letters(entry[1]) == _letters(name)


def _letters(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


class UnmappedCodes:
    """Counts codes without an ICD-10 mapping, for one warning per load."""

    def __init__(self, system: str) -> None:
        self.system = system
        self.counts: Counter[str] = Counter()

    def note(self, code: str) -> None:
        self.counts[code.strip()] += 1

    def warning(self, consequence: Text, limit: int = 25) -> str | None:
        """One warning for the report (in English; the terminal says it in
        the reader's language)."""
        if not self.counts:
            return None
        listed = ", ".join(f"{c} ({n})" for c, n in self.counts.most_common(limit))
        more = len(self.counts) - limit
        tail = Text("err.connectors.codes.more", n=more) if more > 0 else ""
        said = Text(
            "err.connectors.codes.unmapped",
            n=len(self.counts),
            system=self.system,
            consequence=consequence,
            listed=listed,
            tail=tail,
        )
        return english(said)
