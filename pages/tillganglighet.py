"""Tillgänglighetsredogörelse (/tillganglighet): the accessibility statement the
law requires (lagen (2018:1937) om tillgänglighet till digital offentlig
service), after DIGG's model: how accessible the service is, how it was
tested, what is known not to work and how to report a problem."""
from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, path="/tillganglighet", name="Tillgänglighet",
                   title="Tillgänglighetsredogörelse – Nationell lägesbild", order=95, nav=False)

#: When the statement was last reviewed against the tests (ISO date).
REVIEWED = "2026-12-04"
#: The automated checker and its version (tests/a11y/package.json).
AXE_VERSION = "4.14.1"

STATEMENT = f"""
Den nationella lägesbilden över väntetider är till för vårdpersonal,
samordnare, planerare och beslutsfattare. Vi vill att alla ska kunna använda
den, också den som använder skärmläsare, förstoring, bara tangentbord eller
en mobiltelefon. Här beskriver vi hur tjänsten uppfyller lagen om
tillgänglighet till digital offentlig service, vilka brister vi känner till
och hur du kan meddela oss om du upptäcker fler.

### Hur tillgänglig är tjänsten?

Tjänsten är **delvis förenlig** med WCAG 2.1 nivå AA (EN 301 549), på grund
av de brister som beskrivs under *Innehåll som inte är tillgängligt*.

### Så här har vi testat

- **Automatiskt, vid varje ändring av tjänsten.** Varje sida – inloggningen,
  Jämför enheter (med träffar, utan träffar, med dolda små tal och med fel),
  Enhet, Nationell utveckling, Regional kapacitet, Datakvalitet,
  Kapacitetsannonser med sina formulär, Om statistiken, Admin, den här sidan
  och sidan som visas när en adress inte finns – granskas med axe-core
  {AXE_VERSION} mot reglerna för WCAG 2.0 och 2.1 nivå A och AA, i Chromium,
  i en dators bredd (1 400 px) och en mobils (390 px). Testet godkänns bara
  utan anmärkningar.
- **Med tangentbordet.** Huvudflödet – söka åtgärd, välja förslag, filtrera,
  gå igenom tabellen, öppna en enhet, ladda ner, kopiera länk och lägga in en
  kapacitetsannons – körs med enbart tangentbordet i ett automatiskt test.
- **I en mobils bredd.** Ingen sida är bredare än skärmen, ingen
  kolumnrubrik eller tabellcell kortas av, inga axeltexter hamnar utanför
  diagrammen, en tabell som är bredare än skärmen säger att man kan svepa i
  sidled, tabellernas namnkolumn står kvar när man sveper och sidornas meny
  fälls ut med knappen *Meny*.
- **Kontrast och färg.** Texter och knappar har minst kontrasten 4,5:1.
  Diagrammens färger går att skilja åt även vid nedsatt färgseende
  (blått, orange och grått) och linjerna skiljs också åt med streckning
  eller markörer.
- **Diagram och formulär.** Varje diagram har en sammanfattning i en mening
  och sina siffror i en tabell bredvid. Datum skrivs som ÅÅÅÅ-MM-DD i alla
  webbläsare, och ett fält som inte godtas pekas ut med sin rubrik och
  markeras för skärmläsare.

### Innehåll som inte är tillgängligt

- **Diagrammens interaktion.** Att föra muspekaren över ett diagram för att
  se ett enskilt värde fungerar inte med tangentbord eller skärmläsare.
  Samma värden finns i tabellen under varje diagram.
- **Tabellernas kolumnmenyer.** Kolumnfiltren i de stora tabellerna (AG Grid)
  kan nås med tangentbordet men beskrivs inte fullständigt av alla
  skärmläsare. Samma urval kan göras med filtren ovanför tabellen.
- **Ingen granskning med användare.** Tjänsten har ännu inte testats av
  personer som använder skärmläsare (NVDA, JAWS, VoiceOver) eller
  förstoringsprogram. Automatiska test hittar bara en del av alla brister.

### Om du inte kan använda delar av tjänsten

Kontakta den som förvaltar tjänsten i din region eller hos Inera, så hjälper
vi dig att få samma uppgifter på annat sätt, till exempel som en tabell i en
fil (varje vy kan laddas ner som CSV).

### Rapportera brister

Vi strävar hela tiden efter att förbättra tillgängligheten. Om du upptäcker
problem som inte beskrivs här, eller anser att vi inte uppfyller lagens
krav, meddela förvaltningen så att vi får veta att problemet finns.

### Tillsyn

Myndigheten för digital förvaltning (DIGG) har ansvaret för tillsyn över
lagen om tillgänglighet till digital offentlig service. Om du inte är nöjd
med hur vi hanterar dina synpunkter kan du kontakta DIGG och påtala det
(digg.se, "Anmäl bristande tillgänglighet").

Redogörelsen granskades senast {REVIEWED} mot testerna i tjänstens egen
testsvit.
"""


def layout(**_query):
    return html.Main([
        html.H1("Tillgänglighetsredogörelse", className="h3"),
        html.Div(dcc.Markdown(STATEMENT), className="lb-card lb-prose"),
    ])
