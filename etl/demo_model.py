"""Parameters of the demo delivery: which clinics operate which KVÅ groups,
how many operations a group has nationally, how long patients wait, and the
towns and name parts of the fictional units.

Everything here is plain data; etl/demo_units.py and etl/demo.py turn it into
files. The numbers are plausible orders of magnitude for Sweden, not
statistics of any real unit.
"""
from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------
# KVÅ groups: demo behaviour per group
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupModel:
    kod: str
    weight: float          # relative national annual volume within its source
    median_days: float     # typical median wait (planned operations)
    kind: str              # 'cancer' | 'fracture' | 'elective' | 'long'
    acute_share: float     # share of rows with akut = J


def _g(kod, weight, median_days, kind, acute_share=0.004):
    return GroupModel(kod, weight, median_days, kind, acute_share)


GROUP_MODELS: dict[str, GroupModel] = {m.kod: m for m in [
    # nervous system, endocrine
    _g("AAB", 1.5, 14, "cancer"), _g("ABC", 5, 90, "elective"), _g("ACC", 10, 100, "elective"),
    _g("BAA", 3, 70, "elective"), _g("BBA", 1, 80, "elective"), _g("BCA", 0.3, 40, "cancer"),
    # eye (SPOR part)
    _g("CBB", 3, 110, "elective"), _g("CHD", 1.5, 60, "elective"), _g("CKC", 2, 10, "cancer"),
    _g("CKD", 5, 60, "elective"),
    # cataract (NCR)
    _g("CJC", 85, 100, "elective", 0.0), _g("CJD", 2, 80, "elective", 0.0), _g("CJE", 13, 100, "elective", 0.0),
    # ear, nose, throat
    _g("DCA", 6, 45, "elective"), _g("DJD", 4, 160, "long"), _g("DMB", 4, 70, "elective"),
    _g("EDC", 0.8, 50, "elective"), _g("EMB", 10, 120, "elective"),
    # heart and thorax
    _g("FMD", 1.5, 60, "elective"), _g("FNC", 2.5, 30, "cancer"), _g("FNG", 5, 20, "cancer", 0.02),
    _g("FPE", 6, 25, "cancer", 0.02), _g("GDB", 0.8, 20, "cancer"), _g("GDC", 1.2, 20, "cancer"),
    # breast
    _g("HAB", 6, 14, "cancer"), _g("HAC", 3, 16, "cancer"), _g("HAD", 1.5, 200, "long"), _g("HAE", 1.2, 180, "long"),
    # digestive
    _g("JAB", 18, 75, "elective"), _g("JAC", 1, 60, "elective", 0.05), _g("JAD", 6, 90, "elective", 0.02),
    _g("JAH", 3, 40, "elective", 0.03), _g("JBC", 2, 120, "elective"), _g("JCC", 0.4, 25, "cancer"),
    _g("JDC", 0.6, 21, "cancer"), _g("JDD", 0.3, 21, "cancer"), _g("JDF", 5, 150, "long"),
    _g("JEA", 8, 30, "elective", 0.40), _g("JFB", 6, 21, "cancer", 0.03), _g("JFH", 0.8, 35, "cancer"),
    _g("JGB", 1.5, 25, "cancer"), _g("JHB", 3, 80, "elective", 0.03), _g("JHC", 4, 100, "elective"),
    _g("JJB", 1, 25, "cancer"), _g("JKA", 14, 80, "elective", 0.04), _g("JLC", 0.6, 21, "cancer"),
    # urinary and male genital
    _g("KAC", 1.5, 35, "cancer"), _g("KCC", 0.6, 28, "cancer"), _g("KCD", 6, 28, "cancer"),
    _g("KEC", 3, 60, "cancer"), _g("KED", 5, 120, "elective"),
    # female genital
    _g("LAF", 5, 45, "elective", 0.02), _g("LCB", 4, 70, "elective"), _g("LCD", 6, 80, "elective"),
    _g("LDC", 5, 30, "elective"), _g("LEF", 5, 110, "elective"), _g("LGA", 2, 120, "elective"),
    # musculoskeletal
    _g("NAG", 4, 150, "long"), _g("NBA", 2, 100, "elective"), _g("NBB", 2.5, 140, "long"),
    _g("NBF", 4, 120, "elective"), _g("NBJ", 4, 10, "fracture", 0.12), _g("NBL", 5, 130, "long"),
    _g("NCB", 0.3, 120, "long"), _g("NCJ", 6, 8, "fracture", 0.12), _g("NCL", 2, 120, "elective"),
    _g("NDG", 1.5, 110, "elective"), _g("NDJ", 7, 8, "fracture", 0.12), _g("NDL", 3, 100, "elective"),
    _g("NDM", 6, 90, "elective"), _g("NEJ", 1, 7, "fracture", 0.12), _g("NFA", 1, 90, "elective"),
    _g("NFB", 20, 140, "long"), _g("NFC", 2.5, 110, "long"), _g("NFF", 1.5, 120, "elective"),
    _g("NFJ", 8, 5, "fracture", 0.12), _g("NFU", 2, 110, "elective"), _g("NGA", 2, 90, "elective"),
    _g("NGB", 15, 160, "long"), _g("NGC", 1.5, 110, "long"), _g("NGD", 6, 110, "elective"),
    _g("NGE", 3.5, 150, "long"), _g("NGF", 6, 120, "elective"), _g("NGJ", 6, 8, "fracture", 0.12),
    _g("NGK", 1.5, 150, "long"), _g("NGL", 3, 110, "elective", 0.05), _g("NGQ", 1, 21, "cancer", 0.05),
    _g("NGU", 4, 120, "elective"), _g("NHB", 0.3, 150, "long"), _g("NHE", 1.5, 140, "long"),
    _g("NHF", 2, 150, "long"), _g("NHG", 2.5, 170, "long"), _g("NHJ", 6, 10, "fracture", 0.12),
    _g("NHK", 5, 180, "long"), _g("NHL", 2.5, 140, "long", 0.05), _g("NHQ", 1.5, 40, "elective", 0.05),
    _g("NHU", 3, 150, "long"),
    # vessels, skin
    _g("PAF", 1, 10, "cancer"), _g("PHB", 8, 140, "long"), _g("QBJ", 1, 200, "long"),
]}

#: The most common code of a group (written most often); otherwise the first code.
MAIN_CODE = {
    "NGB": "NGB49", "NFB": "NFB49", "NFC": "NFC49", "NGC": "NGC49", "JKA": "JKA21", "JAB": "JAB11",
    "KED": "KED22", "CJE": "CJE20", "HAB": "HAB99", "JFB": "JFB30", "LCD": "LCD01", "NHK": "NHK09",
    "JDF": "JDF11", "ACC": "ACC51", "JEA": "JEA01", "NFJ": "NFJ49", "EMB": "EMB10",
}

#: Medical priority categories and their effect on the wait (relative).
PRIO_CODES = ("1v", "2v", "4v", "3m", "6m", "12m")
PRIO_REL = (0.3, 0.5, 0.8, 1.0, 1.3, 1.6)
PRIO_DIST = {
    "cancer": (0.30, 0.40, 0.25, 0.05, 0.0, 0.0),
    "fracture": (0.70, 0.20, 0.10, 0.0, 0.0, 0.0),
    "elective": (0.02, 0.05, 0.13, 0.45, 0.28, 0.07),
    "long": (0.01, 0.02, 0.07, 0.35, 0.40, 0.15),
}
ASA_DIST = {
    "cancer": (0.12, 0.50, 0.33, 0.05),
    "fracture": (0.25, 0.45, 0.25, 0.05),
    "elective": (0.30, 0.50, 0.18, 0.02),
    "long": (0.12, 0.55, 0.31, 0.02),
}
ASA_REL = (0.95, 1.0, 1.1, 1.2)
WAIT_SIGMA = {"cancer": 0.45, "fracture": 0.6, "elective": 0.55, "long": 0.5}

#: Effect of ownership on the wait (relative) and share of out-of-region patients.
OWNER_WAIT = {"offentlig": 1.0, "privat": 0.55, "ideburen": 0.72}
OWNER_OUT_OF_REGION = {"offentlig": 0.04, "privat": 0.22, "ideburen": 0.12}

#: Production by calendar month (the summer dip), January first.
MONTH_FACTOR = (1.00, 1.03, 1.05, 1.00, 1.03, 0.88, 0.32, 0.72, 1.10, 1.10, 1.08, 0.86)

# --------------------------------------------------------------------------
# Clinics: medical specialty (mvo), the groups each tier operates
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Specialty:
    key: str
    mvo: str
    clinic: str                 # name of the public clinic
    groups: dict[str, tuple[str, ...]]   # tier -> groups ('lokal', 'lans', 'univ', 'privat')


def _s(*codes: str) -> tuple[str, ...]:
    return tuple(codes)


_ORTO_LOKAL = _s("NFB", "NGB", "NGD", "NGF", "NGA", "NFJ", "NGJ", "NHJ", "NDJ", "NCJ", "NHK", "NGU", "NFU", "NHU", "NBJ", "NDM")
_ORTO_LANS = _ORTO_LOKAL + _s("NFC", "NGC", "NGE", "NBB", "NBL", "NBA", "NBF", "NHG", "NHL", "NHF", "NGL", "NGK", "NCL", "NDL", "NHE", "NHQ", "NGQ")
_KIR_LOKAL = _s("JAB", "JAC", "JAD", "JKA", "JEA", "JHB", "JHC", "PHB", "JAH")
_KIR_LANS = _KIR_LOKAL + _s("JFB", "JGB", "HAB", "HAC", "BAA", "BBA", "JBC", "JDF", "JFH", "JDC", "PAF")

SPECIALTIES: dict[str, Specialty] = {s.key: s for s in [
    Specialty("orto", "311", "Ortopedkliniken", {
        "lokal": _ORTO_LOKAL, "lans": _ORTO_LANS,
        "univ": _ORTO_LANS + _s("NAG", "NEJ", "NFF", "NCB", "NHB", "NDG", "NFA"),
        "privat": _s("NGB", "NFB", "NGD", "NGF", "NGE", "NGA", "NHK", "NBL", "NBA", "NBF", "NHF", "NHL", "NGU", "NHU", "NFC", "NHG"),
    }),
    Specialty("kir", "301", "Kirurgkliniken", {
        "lokal": _KIR_LOKAL, "lans": _KIR_LANS,
        "univ": _KIR_LANS + _s("JCC", "JDD", "JJB", "JLC", "BCA"),
        "privat": _s("JAB", "JAD", "JKA", "PHB", "JHC", "JHB", "JBC", "JAC"),
    }),
    Specialty("oga", "511", "Ögonkliniken", {
        "lokal": _s("CJC", "CJE", "CBB"), "lans": _s("CJC", "CJD", "CJE", "CBB", "CKD", "CHD"),
        "univ": _s("CJC", "CJD", "CJE", "CBB", "CKD", "CHD", "CKC"),
        "privat": _s("CJC", "CJE", "CBB"),
    }),
    Specialty("kvinno", "451", "Kvinnokliniken", {
        t: _s("LCD", "LEF", "LDC", "LAF", "LCB", "LGA") for t in ("lokal", "lans", "univ")
    } | {"privat": _s("LCB", "LEF", "LCD", "LDC", "LGA")}),
    Specialty("uro", "361", "Urologiska kliniken", {
        "lokal": _s("KED", "KCD"), "lans": _s("KED", "KEC", "KCD", "KAC"),
        "univ": _s("KED", "KEC", "KCD", "KAC", "KCC"), "privat": _s("KED", "KCD"),
    }),
    Specialty("onh", "521", "Öron-näs-halskliniken", {
        "lokal": _s("EMB", "DMB", "DCA"), "lans": _s("EMB", "DMB", "DCA", "DJD", "EDC"),
        "univ": _s("EMB", "DMB", "DCA", "DJD", "EDC"), "privat": _s("EMB", "DMB", "DCA", "DJD"),
    }),
    Specialty("hand", "321", "Handkirurgiska kliniken", {
        t: _s("ACC", "NDM", "NDL", "NDG", "NDJ") for t in ("lokal", "lans", "univ", "privat")
    }),
    Specialty("neuro", "331", "Neurokirurgiska kliniken", {"univ": _s("ABC", "NAG", "AAB")}),
    Specialty("thorax", "341", "Hjärt- och thoraxkirurgiska kliniken", {"univ": _s("FNC", "FMD", "FNG", "FPE", "GDC", "GDB")}),
    Specialty("plastik", "351", "Plastikkirurgiska kliniken", {
        "univ": _s("HAD", "HAE", "QBJ"), "privat": _s("HAD", "HAE", "QBJ"),
    }),
    Specialty("obesitas", "301", "Obesitaskirurgi", {"privat": _s("JDF", "JAB", "JKA")}),
]}

#: Clinics at each tier of public hospital: (specialty, probability).
HOSPITAL_CLINICS = {
    "univ": (("orto", 1), ("kir", 1), ("oga", 1), ("kvinno", 1), ("uro", 1), ("onh", 1),
             ("hand", 1), ("neuro", 1), ("thorax", 1), ("plastik", 1)),
    "univ2": (("orto", 1), ("kir", 1), ("oga", 1), ("kvinno", 1), ("uro", 0.5), ("onh", 0.5)),
    "lans": (("orto", 1), ("kir", 1), ("oga", 1), ("kvinno", 1), ("uro", 1), ("onh", 1)),
    "lokal": (("orto", 0.85), ("kir", 0.85), ("oga", 0.2), ("kvinno", 0.2), ("uro", 0.1)),
}

#: Private provider kinds: (specialty, share, name patterns).
PRIVATE_KINDS = (
    ("orto", 0.30, ("{n} Ortopedklinik AB", "Ortopedcentrum {n} AB", "{n} Ledkirurgi AB")),
    ("oga", 0.25, ("{n} Ögonklinik AB", "Ögonkirurgi {n} AB", "Synkliniken {n} AB")),
    ("kir", 0.14, ("{n} Dagkirurgi AB", "Kirurgcentrum {n} AB")),
    ("kvinno", 0.08, ("{n} Gynekologkirurgi AB", "Kvinnohälsan {n} AB")),
    ("onh", 0.08, ("{n} Öron-näs-hals AB", "ÖNH-kliniken {n} AB")),
    ("hand", 0.07, ("Handkirurgi {n} AB", "{n} Handcentrum AB")),
    ("plastik", 0.04, ("{n} Plastikkirurgi AB",)),
    ("obesitas", 0.04, ("{n} Obesitascenter AB",)),
)
IDEBUREN_CLINICS = {"orto": "Ortopedi", "kir": "Kirurgi", "oga": "Ögon", "kvinno": "Gynekologi", "hand": "Handkirurgi"}

# --------------------------------------------------------------------------
# Regions: population (thousands), hospitals, towns (name, lat, lon)
# --------------------------------------------------------------------------

REGION_POPULATION = {
    "01": 2450, "03": 400, "04": 300, "05": 470, "06": 370, "07": 205, "08": 247, "09": 61,
    "10": 157, "12": 1420, "13": 340, "14": 1760, "17": 283, "18": 307, "19": 280, "20": 288,
    "21": 288, "22": 245, "23": 132, "24": 275, "25": 250,
}

#: Public hospitals per region at national scale (the first is the largest).
REGION_HOSPITALS = {
    "01": 5, "03": 2, "04": 3, "05": 3, "06": 3, "07": 2, "08": 2, "09": 1, "10": 1, "12": 5,
    "13": 3, "14": 6, "17": 2, "18": 2, "19": 2, "20": 2, "21": 2, "22": 2, "23": 1, "24": 2, "25": 3,
}
UNIVERSITY_REGIONS = {"01": 2, "03": 1, "05": 1, "12": 2, "14": 2, "18": 1, "24": 1}

TOWNS = {
    "01": [("Stockholm", 59.330, 18.068), ("Solna", 59.360, 18.000), ("Huddinge", 59.237, 17.982),
           ("Södertälje", 59.196, 17.626), ("Norrtälje", 59.758, 18.705), ("Nacka", 59.311, 18.164),
           ("Täby", 59.443, 18.069), ("Danderyd", 59.400, 18.033)],
    "03": [("Uppsala", 59.859, 17.639), ("Enköping", 59.636, 17.078), ("Östhammar", 60.259, 18.373),
           ("Tierp", 60.344, 17.512)],
    "04": [("Eskilstuna", 59.371, 16.510), ("Nyköping", 58.753, 17.008), ("Katrineholm", 58.996, 16.207),
           ("Strängnäs", 59.377, 17.031)],
    "05": [("Linköping", 58.411, 15.621), ("Norrköping", 58.588, 16.192), ("Motala", 58.537, 15.037),
           ("Finspång", 58.706, 15.768)],
    "06": [("Jönköping", 57.783, 14.162), ("Värnamo", 57.186, 14.040), ("Eksjö", 57.667, 14.972),
           ("Nässjö", 57.653, 14.697)],
    "07": [("Växjö", 56.878, 14.809), ("Ljungby", 56.833, 13.941), ("Älmhult", 56.551, 14.137)],
    "08": [("Kalmar", 56.663, 16.357), ("Västervik", 57.758, 16.637), ("Oskarshamn", 57.264, 16.448),
           ("Nybro", 56.744, 15.906)],
    "09": [("Visby", 57.635, 18.295), ("Hemse", 57.237, 18.372), ("Slite", 57.706, 18.801)],
    "10": [("Karlskrona", 56.161, 15.587), ("Karlshamn", 56.170, 14.863), ("Ronneby", 56.210, 15.276)],
    "12": [("Malmö", 55.605, 13.004), ("Lund", 55.705, 13.191), ("Helsingborg", 56.046, 12.695),
           ("Kristianstad", 56.031, 14.156), ("Ystad", 55.430, 13.820), ("Trelleborg", 55.375, 13.157),
           ("Landskrona", 55.870, 12.830), ("Hässleholm", 56.159, 13.766), ("Ängelholm", 56.243, 12.862)],
    "13": [("Halmstad", 56.674, 12.858), ("Varberg", 57.106, 12.251), ("Kungsbacka", 57.487, 12.076),
           ("Falkenberg", 56.905, 12.491)],
    "14": [("Göteborg", 57.709, 11.975), ("Borås", 57.721, 12.940), ("Trollhättan", 58.283, 12.289),
           ("Skövde", 58.391, 13.845), ("Uddevalla", 58.349, 11.938), ("Alingsås", 57.930, 12.533),
           ("Lidköping", 58.505, 13.158), ("Kungälv", 57.871, 11.981), ("Mölndal", 57.656, 12.014),
           ("Falköping", 58.173, 13.553)],
    "17": [("Karlstad", 59.402, 13.512), ("Arvika", 59.655, 12.585), ("Torsby", 60.137, 12.997),
           ("Kristinehamn", 59.310, 14.108)],
    "18": [("Örebro", 59.274, 15.207), ("Karlskoga", 59.327, 14.524), ("Lindesberg", 59.594, 15.230)],
    "19": [("Västerås", 59.610, 16.545), ("Köping", 59.514, 15.992), ("Sala", 59.920, 16.604),
           ("Fagersta", 60.004, 15.793)],
    "20": [("Falun", 60.607, 15.635), ("Borlänge", 60.484, 15.434), ("Mora", 61.005, 14.537),
           ("Avesta", 60.146, 16.168), ("Ludvika", 60.150, 15.188)],
    "21": [("Gävle", 60.675, 17.141), ("Hudiksvall", 61.729, 17.104), ("Bollnäs", 61.348, 16.394),
           ("Sandviken", 60.622, 16.776)],
    "22": [("Sundsvall", 62.391, 17.307), ("Örnsköldsvik", 63.290, 18.716), ("Sollefteå", 63.167, 17.266),
           ("Härnösand", 62.632, 17.938)],
    "23": [("Östersund", 63.179, 14.636), ("Sveg", 62.034, 14.357), ("Strömsund", 63.853, 15.556),
           ("Järpen", 63.348, 13.467)],
    "24": [("Umeå", 63.826, 20.263), ("Skellefteå", 64.750, 20.950), ("Lycksele", 64.596, 18.676)],
    "25": [("Luleå", 65.585, 22.155), ("Sunderbyn", 65.670, 21.910), ("Piteå", 65.317, 21.480),
           ("Kiruna", 67.856, 20.225), ("Gällivare", 67.133, 20.659), ("Kalix", 65.854, 23.143)],
}

# Parts of fictional hospital and company names ("Björkhaga", "Norrviken" ...).
NAME_PREFIXES = (
    "Björk", "Ek", "Lind", "Gran", "Tall", "Sol", "Sjö", "Löv", "Äng", "Bäck", "Rönn", "Vide",
    "Moss", "Fjäll", "Klöver", "Sten", "Ljung", "Hassel", "Al", "Asp", "Sälg", "Norr", "Söder",
    "Väster", "Öster", "Lilje", "Rosen", "Kvarn", "Hjort", "Örn", "Svan", "Tran", "Lärk", "Falk",
    "Ljus", "Silver", "Guld", "Skogs", "Sjöbo", "Hägg", "Nyp", "Lönn", "Berg", "Dal", "Myr",
)
NAME_SUFFIXES = (
    "haga", "viken", "dala", "höjden", "backa", "åsen", "berga", "holm", "ängen", "lunda",
    "näs", "torp", "vallen", "udden", "kulla", "slätten", "bäcken", "sund", "lid", "gården",
)
