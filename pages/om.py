"""Om statistiken (/om): the definitions of METRICS.md in plain Swedish, what
each source's wait measures and the sources' known limits."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from common import format as fmt
from data import queries
from data.context import get_settings, get_warehouse
from data.warehouse import NoData

dash.register_page(__name__, path="/om", name="Om statistiken", title="Om statistiken – Nationell lägesbild",
                   order=6, nav=True)

SOURCES_TEXT = """
### Källorna och vad väntetiden mäter

**Svenskt Perioperativt Register (SPOR)** ger alla åtgärder utom gråstarr.
Väntetiden räknas från **anmälan** – den dag patienten sattes upp för
operation (SPOR-variabel V310) – till **operationsdagen** (V565).

**Nationella Kataraktregistret (NCR)** ger gråstarrsoperationerna
(KVÅ-grupperna CJC, CJD och CJE). Väntetiden räknas från **beslut om
operation** till **operationsdagen**.

Båda registren beskriver *genomförda* operationer: väntetiden är den tid de
som opererades faktiskt väntade, inte hur länge de som står i kö har väntat.

**Den nationella väntetidsdatabasen** ger en ögonblicksbild vid varje
månadsskifte per enhet och KVÅ-grupp: hur många som väntar, hur många av dem
som väntat mer än 90 dagar, hur många som tillkommit och hur många som
opererats under månaden. Patientvald väntan och medicinskt orsakad väntan
(PvV/MoV) räknas inte med.

Akuta operationer och makulerade poster räknas aldrig. En åtgärd hör till sin
KVÅ-grupp: de tre första tecknen i KVÅ-koden.
"""

DEFINITIONS_TEXT = """
### Definitioner

**Datadatum (D).** Det senaste operationsdatum som lästs in från källan – inte
dagens datum. Sidorna visar det som ”t.o.m. 2026-11-20”. Väntetidsdatabasens
datadatum är sista dagen i den senaste rapporterade månaden.

**Tidsfönster.** ”Senaste 30, 90 eller 365 dagarna” betyder operationer med
operationsdatum efter D minus 30 (90, 365) dagar och till och med D.

**Antal (n).** Antalet operationer i urvalet.

**Median.** Den mittersta väntetiden: hälften väntade kortare, hälften längre.
Är antalet jämnt tas medelvärdet av de två mittersta (linjär interpolation).

**90:e percentil.** Den väntetid som 90 procent av patienterna höll sig inom;
beräknas på samma sätt med linjär interpolation. Visar hur lång väntan blir för
dem som väntar längst.

**Andel inom 90 dagar.** Andelen operationer där väntetiden var högst 90 dagar,
vårdgarantins gräns.

**Andel ASA 3–4** (bara SPOR). Bland enhetens operationer i gruppen de senaste
365 dagarna – oavsett valt tidsfönster och utan ASA- och prioritetsfilter – och
som har en ASA-klass registrerad: andelen med ASA-klass 3 eller 4. Visar vilka
enheter som tar emot patienter med mer samsjuklighet.

**Region och riket.** En regions värden räknas på alla operationer vid
regionens enheter tillsammans (en median av alla väntetider, aldrig en median
av enheternas medianer). Riket räknas på samma sätt på alla operationer.

**Filter.** ASA-klass och medicinsk prioritet (bortre tidsgräns: 1, 2 eller 4
veckor, 3, 6 eller 12 månader) finns för SPOR-grupper; ”endast narkos”
(generell anestesi) finns för gråstarr. Ett filter som inte gäller den valda
gruppen visas inte. Med ett filter räknas bara operationer med en registrerad
uppgift som ingår i filtret.

**Aktualitet.** En enhet som inte har någon operation inläst under de senaste
{stale} dagarna (6 veckor) före D markeras ”inaktuell” i alla vyer. Dess siffror
kan vara gamla eller ofullständiga.

**18 månader.** Enhetssidans diagram visar för var och en av de 18
kalendermånaderna fram till och med D:s månad antal, median och 90:e percentil
för operationerna den månaden, med samma regel för små tal.
"""

SUPPRESSION_TEXT = """
### Små tal

När färre än {k} operationer ingår visas ingen statistik för cellen och antalet
visas som ”<{k}”. Det skyddar patienternas anonymitet och undviker slumpmässiga
värden. I nedladdningar och i API:t är statistiken tom och raden markerad som
undertryckt. Regeln gäller allt som räknar operationer eller patienter: tabellen,
enhetssidans diagram (en månad med färre än {k} operationer ritas utan stapel),
patientmixen, enhetens mix av KVÅ-grupper och väntetidsdatabasens antal
(väntande, nya, genomförda).

**Sekundär undertryckning.** Ett dolt litet tal ska inte heller kunna räknas
fram ur summor i samma svar eller i svaret på nästa nivå. Därför döljs också:

- i tabellen, när en regions dolda enheter tillsammans har färre än {k}
  operationer, antalet för regionens näst minsta enhet (och så vidare tills de
  dolda är minst {k}), så att regionens antal minus de visade enheterna inte
  ger ett litet tal; på samma sätt regionerna mot riket, och enheterna i en
  region vars antal är dolt. Ett sådant antal visas som ”dold”, och enhetens
  andelar visas inte heller (en andel med ett känt antal i täljaren ger
  nämnaren). Medianen och 90:e percentilen visas;
- i patientmixen och gruppmixen nästa minsta kategori, så att totalen minus de
  visade inte ger ett dolt antal, och ingen andel för en dold kategori;
- i väntetidsdatabasen den del som tillsammans med en summa skulle ge ett
  litet tal (t.ex. väntande mer än 90 dagar när de som väntat högst 90 dagar
  är färre än {k}), och kötid och andelar som bygger på ett dolt antal;
- i summor i bildtexter räknas bara det som visas.

Vid lika antal döljs den enhet vars HSA-id kommer först, så att alla servrar
och alla körningar döljer samma rader.

**Kvarstående risk.** Skyddet gäller varje svar och de nivåer (enhet, region,
riket) som hör till samma fråga. Den som jämför svar på *olika* frågor – till
exempel två filterval (ASA 1–4 och ASA 1–3), två tidsfönster (90 och 365
dagar) eller två kalendermånader mot ett fönster – kan fortfarande ibland räkna
fram ett litet tal. Att skydda mot alla sådana kombinationer skulle kräva att
mycket mer döljs för alla användare. Risken godtas eftersom tjänsten bara når
inloggad vårdpersonal med SITHS-kort, som har tystnadsplikt och vars
uppslagningar och nedladdningar loggas per person, och eftersom uppgifterna
gäller antal operationer vid en enhet, inte enskilda patienter.

### Avrundning

Skärmen avrundar dagar till hela dagar och andelar till hela procent, med
decimalkomma och mellanslag som tusentalsavgränsare (”1 234”, ”12 %”).
Nedladdningar (CSV och Excel) och API:t ger oavrundade värden.
"""

VTD_TEXT = """
### Väntetidsdatabasens mått

- **Andel väntande inom 90 dagar** = (väntande − väntande mer än 90 dagar) / väntande.
- **Andel genomförda inom 90 dagar** = genomförda inom 90 dagar / genomförda.
- **Kötid (månader)** = antal väntande / genomsnittligt antal genomförda de tre senaste månaderna. En
  månad då enheten (regionen) inte rapporterade gruppen räknas inte med i genomsnittet – den räknas inte
  som noll. Ingen kötid när genomsnittet är noll.
- **Nettoinflöde** = nya på väntelistan − genomförda under månaden.
- **Växande kö** (Regional kapacitet): nettoinflödet de tre senaste månaderna tillsammans är positivt.
- **Saknad månad** (Datakvalitet): en månad efter regionens första leverans då ingen av regionens enheter
  levererade någon rad.
- Regioner och riket summerar enheternas antal innan andelar räknas ut.
"""

VIEWS_TEXT = """
### Nationell utveckling och Regional kapacitet

- **Riket per månad.** Alla operationer i gruppen (eller i alla grupper i en källa) den månaden räknas
  tillsammans: en median av alla väntetider, aldrig en median av regionernas medianer. Visas för de 36
  kalendermånaderna fram till och med D:s månad (färre om mindre är inläst).
- **Ett år tidigare.** Varje månad visas bredvid samma kalendermånad ett år tidigare.
- **Regionerna sida vid sida.** Samma mått som tabellen i Jämför enheter på regionnivå, för det valda
  tidsfönstret och med samma regel för små tal.
- **Vård i annan region (utomläns).** Bland operationer med registrerat hemlän (patient_lan), per
  KVÅ-grupp och kalenderår: andelen av regionens egna patienter som opererades i en annan region, och
  andelen av regionens operationer som gjordes på patienter från en annan region. Flödena mellan
  regionerna är antal operationer per hemregion och opererande region; antal 1–{k1} visas som ”<{k}”,
  och så många av de minsta andra att de dolda tillsammans blir minst {k}.
- **Kapacitet i andra regioner.** Enheter utanför regionen vars median (visad, inte undertryckt) är
  kortare än regionens egen median för samma grupp och tidsfönster, sorterade efter median, med antal
  operationer och fågelvägen från regionens residensstad.
"""

LIMITS_TEXT = """
### Kända begränsningar

- **Frivillig rapportering.** Inrapporteringen till kvalitetsregistren är
  frivillig. Alla vårdgivare finns därför inte med, och lägesbilden är inte
  heltäckande. En enhet som saknas kan ändå operera åtgärden.
- **Täckning.** Registrens täckningsgrad skiljer sig mellan regioner,
  vårdgivare och åtgärder, och privata vårdgivare rapporterar i varierande
  grad. Jämför därför helst enheter med många operationer och aktuella data.
- **Olika definitioner.** Registren har utvecklats oberoende av varandra och
  skiljer sig i struktur, innehåll och uppdateringstakt: SPOR mäter från
  anmälan, NCR från beslut, och väntetidsdatabasen räknar väntande vid
  månadsskiftet utan patientvald eller medicinskt orsakad väntan. Siffror från
  olika källor ska därför inte jämföras rakt av.
- **Historik, inte prognos.** Medianväntetiden beskriver dem som redan
  opererats. Den är en indikation på en enhets möjlighet att ta emot fler
  patienter, inte ett löfte om en viss väntetid.
- **Fördröjning.** Uppgifterna är så aktuella som den senaste inlästa filen
  från varje källa (se datadatum ovan).
"""


def source_table(meta: dict | None):
    if not meta or not meta.get("sources"):
        return dbc.Alert("Inga data är inlästa ännu.", color="warning")
    labels = {"spor": "Svenskt Perioperativt Register (SPOR)", "ncr": "Nationella Kataraktregistret (NCR)",
              "vtd": "Väntetidsdatabasen",
              "vardenheter": "Enhetskatalogen", "kva": "KVÅ-katalogen"}
    order = list(labels)  # the registers first, then the monthly database, then the catalogues
    rows = []
    for s in sorted(meta["sources"], key=lambda s: order.index(s["source"]) if s["source"] in order else 99):
        rows.append(html.Tr([
            html.Td(labels.get(s["source"], s["source"])),
            html.Td(fmt.data_date_text(s["data_date"]) if s["source"] in {"spor", "ncr", "vtd"} else fmt.MISSING),
            html.Td(fmt.fmt_int(s["records"]), className="text-end"),
        ]))
    return dbc.Table(
        [html.Thead(html.Tr([html.Th("Källa"), html.Th("Datadatum"), html.Th("Poster", className="text-end")])),
         html.Tbody(rows)],
        bordered=False, hover=True, size="sm", className="mb-0", id="om-sources",
    )


def backtest_section(wh, k: int):
    """How close the two expected-wait methods came in the loaded history, per group and overall."""
    from components import charts
    from data.questions import forecast

    bt = forecast.national_backtest(wh, k)
    dates = queries.data_dates(wh)
    if not bt["groups"]:
        return html.P("För kort historik för att pröva skattningarna.", className="mb-0")
    titles = queries.group_titles(wh)
    rows = []
    for g in bt["groups"]:
        kob, reg = g["kobaserad"] or {}, g["registerbaserad"] or {}
        rows.append({"grupp": f"{g['kva']} {titles.get(g['kva'], '')}".strip(),
                     "k_fel": kob.get("median_abs_fel_dagar"), "k_andel": kob.get("andel_inom_30"),
                     "r_fel": reg.get("median_abs_fel_dagar"), "r_andel": reg.get("andel_inom_30"),
                     "manader": kob.get("manader") or reg.get("manader")})
    overall = bt["overall"]
    return [
        dcc.Markdown(BACKTEST_TEXT),
        charts.simple_table(
            [("KVÅ-grupp", "grupp", "text"), ("Köbaserad: fel i mitten (dagar)", "k_fel", "days"),
             ("Köbaserad: inom ±30 dagar", "k_andel", "share"), ("Registerbaserad: fel i mitten (dagar)", "r_fel", "days"),
             ("Registerbaserad: inom ±30 dagar", "r_andel", "share"), ("Månader", "manader", "int")],
            rows, "om-backtest-rows",
            caption="Hela riket, per KVÅ-grupp (de grupper som har flest operationer). Källor: väntetidsdatabasen "
                    f"t.o.m. {fmt.fmt_date(dates.get('vtd'))}, SPOR t.o.m. {fmt.fmt_date(dates.get('spor'))} och "
                    f"Nationella Kataraktregistret t.o.m. {fmt.fmt_date(dates.get('ncr'))}."),
        html.P(overall.get("slutsats") or "", className="fw-semibold mb-0", id="om-backtest-verdict"),
    ]


BACKTEST_TEXT = """
### Förväntad väntetid och hur träffsäker den har varit

Enhetssidan visar två skattningar av väntan för en patient som sätts upp i dag, alltid med namn:

- **Köbaserad**: antalet väntande vid senaste månadsskiftet delat med genomsnittligt antal genomförda per
  månad de tre senaste månaderna (en månad utan rapport räknas inte), i dagar (× 30,44) – tiden det tar att
  operera dagens kö i dagens takt.
- **Registerbaserad**: medianväntetiden för operationerna de senaste 90 dagarna före datadatum.

**Prövning mot historiken.** För varje månad i väntetidsdatabasen minst ett år före datadatum räknas båda
skattningarna som de hade sett ut vid månadens slut och jämförs med den faktiska medianväntan för de
patienter som sattes upp på väntelistan den månaden och har opererats sedan. Tabellen visar felet i mitten
(medianen av de absoluta felen) och andelen månader där skattningen låg inom ±30 dagar.
"""


def layout(**_):
    settings = get_settings()
    wh = get_warehouse()
    try:
        meta = queries.meta(wh) if wh.has_data else None
    except NoData:
        meta = None
    demo_note = []
    if meta and meta.get("demo"):
        demo_note = [dbc.Alert("Den inlästa ögonblicksbilden är demodata: påhittade enheter och operationer "
                               "för test och utbildning, inte verkliga väntetider.", color="warning")]
    k, stale = settings.suppress_below, settings.stale_days
    return html.Main(
        [
            html.H1("Om statistiken", className="h3"),
            html.P("Så räknas varje siffra i lägesbilden, vad källorna mäter och var de har sina gränser.",
                   className="text-secondary"),
            *demo_note,
            html.Div([html.H2("Inlästa data", className="h5"), source_table(meta)], className="lb-card"),
            html.Div(dcc.Markdown(SOURCES_TEXT), className="lb-card"),
            html.Div(dcc.Markdown(DEFINITIONS_TEXT.replace("{stale}", str(stale))), className="lb-card"),
            html.Div(dcc.Markdown(SUPPRESSION_TEXT.replace("{k}", str(k))), className="lb-card"),
            html.Div(dcc.Markdown(VTD_TEXT), className="lb-card"),
            html.Div(dcc.Markdown(VIEWS_TEXT.replace("{k1}", str(k - 1)).replace("{k}", str(k))),
                     className="lb-card", id="om-views"),
            html.Div(backtest_section(wh, k) if meta else html.P("Inga data är inlästa ännu."),
                     className="lb-card", id="om-backtest"),
            html.Div(dcc.Markdown(LIMITS_TEXT), className="lb-card", id="om-limits"),
        ]
    )
