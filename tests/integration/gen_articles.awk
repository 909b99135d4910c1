# gen_articles.awk: synthetic raw articles for the worker tests and benchmark.
# One message per line, "KEY<TAB>VALUE" (kcat -P -K '\t' -l). Keys say what
# the message is, so checks need no side file:
#   PREFIX-ok-NNNNNNN                 a valid JSON article (varied language/section)
#   PREFIX-bad-REASON-NNNNNNN         malformed on purpose; REASON is the
#                                     dead-letter reason the worker must give
# Variables: n (count), prefix, bad_every (every Nth message is malformed;
# 0 = none; 50 = 2 %), sentences (body length), seed.
# Plain POSIX awk (mawk is enough). Usage: awk -v n=10000 -v prefix=t1 -v bad_every=50 -f gen_articles.awk
function pick(arr, cnt) { return arr[int(rand() * cnt) + 1] }
function word(lang) { return W[lang, int(rand() * WN[lang]) + 1] }
function sentence(lang,    s, k, i) {
        s = ""
        k = 6 + int(rand() * 10)
        for (i = 0; i < k; i++)
                s = s (i ? " " : "") word(lang)
        return toupper(substr(s, 1, 1)) substr(s, 2) "."
}
function add(lang, words,    a, i, c) {
        c = split(words, a, " ")
        for (i = 1; i <= c; i++)
                W[lang, i] = a[i]
        WN[lang] = c
}
BEGIN {
        if (n == "") n = 1000
        if (prefix == "") prefix = "a"
        if (bad_every == "") bad_every = 0
        if (sentences == "") sentences = 4
        if (seed == "") seed = 42
        srand(seed)
        add("en", "the government parliament election minister football match goal team players season market shares bank inflation economy company profits scientists research study climate storm flood police court judge trial hospital patients doctors school teachers students concert film music festival museum war troops ceasefire border weather rain forecast")
        add("de", "die Regierung Bundestag Wahl Minister Fußball Spiel Tor Mannschaft Spieler Saison Markt Aktien Bank Inflation Wirtschaft Unternehmen Gewinne Forscher Studie Klima Sturm Hochwasser Polizei Gericht Richter Prozess Krankenhaus Patienten Ärzte Schule Lehrer Schüler Konzert Film Musik Festival Museum Krieg Soldaten Waffenruhe Grenze Wetter Regen")
        add("fr", "le gouvernement parlement élection ministre football match but équipe joueurs saison marché actions banque inflation économie entreprise bénéfices chercheurs étude climat tempête inondation police tribunal juge procès hôpital patients médecins école enseignants élèves concert film musique festival musée guerre troupes frontière météo pluie")
        add("es", "el gobierno parlamento elecciones ministro fútbol partido gol equipo jugadores temporada mercado acciones banco inflación economía empresa beneficios científicos estudio clima tormenta inundación policía tribunal juez juicio hospital pacientes médicos escuela profesores alumnos concierto película música festival museo guerra tropas frontera lluvia")
        add("it", "il governo parlamento elezioni ministro calcio partita gol squadra giocatori stagione mercato azioni banca inflazione economia azienda profitti ricercatori studio clima tempesta alluvione polizia tribunale giudice processo ospedale pazienti medici scuola insegnanti studenti concerto film musica festival museo guerra truppe confine pioggia")
        nl = split("en de fr es it", L, " ")
        ns = split("Politics Sport Economy Science Health Culture Crime Weather World Inland", S, " ")
        nb = split("json_syntax field_type empty invalid_utf8 no_text", B, " ")
        bad_i = 0
        for (i = 1; i <= n; i++) {
                if (bad_every > 0 && i % bad_every == 0) {
                        kind = B[bad_i % nb + 1]
                        bad_i++
                        key = sprintf("%s-bad-%s-%07d", prefix, kind, i)
                        if (kind == "json_syntax")
                                v = sprintf("{\"id\":\"%s\",\"title\":\"cut off", key)
                        else if (kind == "field_type")
                                v = sprintf("{\"id\":\"%s\",\"title\":42,\"body\":\"a number is not a title\"}", key)
                        else if (kind == "empty")
                                v = ""
                        else if (kind == "invalid_utf8")
                                v = sprintf("{\"id\":\"%s\",\"title\":\"caf\377\376 news\",\"body\":\"broken \300\257 bytes here\"}", key)
                        else
                                v = sprintf("{\"id\":\"%s\",\"title\":\"\",\"body\":\"   \"}", key)
                        printf "%s\t%s\n", key, v
                        continue
                }
                lang = L[int(rand() * nl) + 1]
                key = sprintf("%s-ok-%07d", prefix, i)
                body = ""
                for (j = 0; j < sentences; j++)
                        body = body (j ? " " : "") sentence(lang)
                printf "%s\t{\"id\":\"%s\",\"url\":\"https://news.example/%s/%d\",\"title\":\"%s\",\"section\":\"%s\",\"published_at\":\"2026-11-25T10:%02d:%02dZ\",\"source\":\"example\",\"language\":\"%s\",\"body\":\"%s\"}\n", \
                        key, key, lang, i, sentence(lang), pick(S, ns), i % 60, (i * 7) % 60, lang, body
        }
}
