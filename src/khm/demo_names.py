"""Nordic company and person names for the demo, from name parts of our own, seeded.

Company names follow the shapes a Nordic B2B book is full of: a family name and a trade
(``Lindqvist Bygg AB``), a town and a trade (``Tampereen Sähkö Oy``), a coined compound
(``Fjordkraft AS``, ``Norðurorka hf.``), two partners (``Berg & Holm AB``) or a family
firm (``Mikkelsen & Søn A/S``), with each country's legal suffixes and letters (åäö, æøå,
ð and þ, õ and ü). Person names pair a first and a family name of the country (Icelandic
ones are patronymics: ``Guðrún Jónsdóttir``).

One :class:`NameGenerator` per generation: the same seed gives the same names in the same
order, and a name is not given twice (compared as its slug, so two names never map to the
same account key) while the parts allow it. Hundreds of thousands of accounts (the
benchmark books) outgrow the parts: then names repeat and the keys stay unique with a
``-2`` suffix.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NameParts:
    """One country's parts: everything a name is made of."""

    female: tuple[str, ...]
    male: tuple[str, ...]
    #: family names; for Iceland the fathers' names in the genitive (``Jóns``)
    surnames: tuple[str, ...]
    #: towns and regions as they stand before a trade (``Gävle``, ``Tampereen``)
    places: tuple[str, ...]
    #: first and second halves of coined names (``Nord`` + ``vik``)
    heads: tuple[str, ...]
    tails: tuple[str, ...]
    trades: tuple[str, ...]
    #: legal forms, the first the usual one
    suffixes: tuple[str, ...]
    sons: str  # "& Söner"
    patronymic: bool = False


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PARTS: dict[str, NameParts] = {
    "SE": NameParts(
        female=_w(
            "Anna Eva Karin Kerstin Ingrid Åsa Maja Elin Linnéa Märta Sofia Ulrika Agneta "
            "Birgitta Frida Ebba"
        ),
        male=_w(
            "Björn Lars Anders Johan Erik Per Mikael Gustav Oskar Göran Måns Nils Henrik "
            "Olof Sture Jöns"
        ),
        surnames=_w(
            "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson "
            "Svensson Gustafsson Lindqvist Lindström Bergström Åberg Sjöberg Öberg "
            "Ekström Holmgren Lundqvist Nyström Sandström Wallin Hedlund Björk Engström "
            "Forsberg Sundberg Åkesson Lövgren Ström Dahlgren Söderberg"
        ),
        places=_w(
            "Norrlands Mälardalens Smålands Värmlands Skånska Gävle Västerås Örebro "
            "Jönköpings Umeå Luleå Växjö Borås Sundsvalls Östersunds Kalmar Härnösands "
            "Dalarnas Gotlands"
        ),
        heads=_w(
            "Nord Syd Öst Väst Fjäll Sjö Berg Skog Ljung Björk Älv Ek Gran Sten Strand "
            "Ström Lövs Hög"
        ),
        tails=_w("vik berg dal holm ström ås näs by gården borg sund kraft tek verken hamn fors"),
        trades=_w(
            "Bygg Data Logistik Konsult Teknik Fastigheter Energi Mekaniska Trä Transport "
            "Elektriska Revision Plast Stål Verkstäder Måleri"
        ),
        suffixes=_w("AB AB AB AB AB HB"),
        sons="& Söner",
    ),
    "NO": NameParts(
        female=_w(
            "Ingrid Kari Solveig Marit Silje Ragnhild Åse Hilde Tone Sigrid Astrid Gro "
            "Bodil Synnøve Liv Tiril"
        ),
        male=_w(
            "Bjørn Ola Knut Håkon Lars Øyvind Eirik Sindre Torbjørn Magnus Jørgen Ståle "
            "Geir Trygve Asbjørn Even"
        ),
        surnames=_w(
            "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen "
            "Karlsen Haugen Bakken Solberg Strand Dahl Lie Moen Sæther Kvamme Sørensen "
            "Aas Hauge Ødegård Løken Bråten Nygård Myhre Øien Brekke Lunde Rønning Holm"
        ),
        places=_w(
            "Bergen Trondheim Stavanger Tromsø Bodø Ålesund Drammen Haugesund Molde "
            "Lillehammer Hamar Sandnes Fredrikstad Kristiansand Førde Narvik Hardanger "
            "Sunnmøre Lofoten"
        ),
        heads=_w(
            "Nord Fjord Vest Øst Fjell Havn Bre Sol Skog Elv Sjø Stein Lyng Nes Fosse Hav Vik Isbre"
        ),
        tails=_w(
            "kraft vik dal heim berg nes land sund tek bygg havn gård stad strøm bakken fjell"
        ),
        trades=_w(
            "Bygg Data Logistikk Rådgivning Teknikk Eiendom Energi Sjømat Transport "
            "Elektro Verft Regnskap Maskin Havbruk Trelast Rør"
        ),
        suffixes=_w("AS AS AS AS ASA"),
        sons="& Sønner",
    ),
    "DK": NameParts(
        female=_w(
            "Mette Anne Lone Hanne Susanne Camilla Signe Freja Ida Birgitte Karen Dorthe "
            "Lærke Sørine Tove Maja"
        ),
        male=_w(
            "Søren Jens Niels Mads Rasmus Anders Jørgen Henrik Kasper Mikkel Frederik Bent "
            "Poul Ulrik Bjørn Troels"
        ),
        surnames=_w(
            "Jensen Nielsen Hansen Pedersen Andersen Christensen Larsen Sørensen "
            "Rasmussen Jørgensen Petersen Madsen Kristensen Thomsen Poulsen Møller "
            "Mortensen Østergaard Kjær Bech Lund Skov Bæk Vestergaard Nørgaard "
            "Søndergaard Lauridsen Frederiksen Mikkelsen Damgaard Højgaard Bøgh"
        ),
        places=_w(
            "Aarhus Odense Aalborg Esbjerg Randers Kolding Horsens Vejle Roskilde Herning "
            "Silkeborg Næstved Fredericia Viborg Køge Holstebro Sønderborg Fynske Jyske "
            "Sjællandske"
        ),
        heads=_w("Nord Syd Øst Vest Sø Skov Mark Lund Bøg Eg Hav Strand Fjord Lyng Klit Å"),
        tails=_w("gaard holm lund bro sted borg tek vej dal høj kær bæk strøm mølle hus værk"),
        trades=_w(
            "Byg Data Logistik Rådgivning Teknik Ejendomme Energi Møbler Transport El "
            "Maskinfabrik Revision VVS Fødevarer Tømrer Stål"
        ),
        suffixes=_w("A/S A/S ApS ApS A/S"),
        sons="& Søn",
    ),
    "FI": NameParts(
        female=_w(
            "Päivi Anna Aino Liisa Tuula Sari Minna Satu Kaisa Elina Helmi Johanna "
            "Sinikka Hanna Kyllikki Pirjo"
        ),
        male=_w(
            "Jukka Mikko Timo Pekka Jari Antti Matti Juha Ville Tuomas Kalle Väinö Jyrki "
            "Esa Heikki Ari"
        ),
        surnames=_w(
            "Korhonen Virtanen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen "
            "Koskinen Järvinen Lehtonen Lehtinen Saarinen Salminen Heinonen Niemi "
            "Kinnunen Salonen Turunen Väisänen Räsänen Ahonen Jääskeläinen Kärkkäinen "
            "Pöllänen Lähteenmäki Hyvönen Rantanen Mustonen Kettunen Söderholm Lindroos"
        ),
        places=_w(
            "Helsingin Tampereen Turun Oulun Jyväskylän Lahden Kuopion Porin Vaasan "
            "Joensuun Seinäjoen Rovaniemen Hämeen Savon Pohjanmaan Karjalan Lapin Kainuun "
            "Uudenmaan"
        ),
        heads=_w(
            "Pohjois Etelä Itä Länsi Järvi Metsä Kivi Koivu Kuusi Mänty Tunturi Lumi Sini "
            "Kallio Revon Pihlaja"
        ),
        tails=_w(
            "talo maa rakenne voima tekniikka palvelu kone sähkö linja työ valo puu verkko mittaus"
        ),
        trades=_w(
            "Rakennus Data Logistiikka Konsultointi Tekniikka Kiinteistöt Energia Sähkö "
            "Kuljetus Kone Metalli Puu Tilitoimisto Lämpö Elintarvike Teräs"
        ),
        suffixes=_w("Oy Oy Oy Oy Oyj Ky"),
        sons="& Pojat",
    ),
    "IS": NameParts(
        female=_w(
            "Sigríður Guðrún Kristín Anna Helga Ásta Þóra Katrín Jóhanna Björk Hildur "
            "Ragnheiður Sólveig Erla Dagný Auður"
        ),
        male=_w(
            "Jón Sigurður Guðmundur Gunnar Ólafur Einar Kristján Þórður Stefán Magnús Árni "
            "Hörður Ragnar Bjarni Davíð Halldór"
        ),
        surnames=_w(
            "Jóns Guðmunds Gunnars Ólafs Einars Kristjáns Þórðar Stefáns Magnús Árna "
            "Harðar Ragnars Björns Páls Helga Bjarna Davíðs Halldórs Egils Þórs"
        ),
        places=_w(
            "Reykjavíkur Akureyrar Hafnarfjarðar Vestfjarða Austfjarða Suðurnesja Eyja "
            "Selfoss Borgarness Húsavíkur Ísafjarðar Skagafjarðar"
        ),
        heads=_w(
            "Norður Suður Austur Vestur Haf Fjalla Jökul Eld Hraun Sjávar Ís Vík Fjarða Heklu"
        ),
        tails=_w("orka tak fiskur lind verk ljós vík fell nes tækni gögn hús smíði flutningar"),
        trades=_w(
            "Byggingar Gögn Flutningar Ráðgjöf Tækni Orka Sjávarútvegur Verkfræði "
            "Fiskvinnsla Rafverk Bókhald Vélar"
        ),
        suffixes=_w("ehf. ehf. ehf. hf."),
        sons="& Synir",
        patronymic=True,
    ),
    "EE": NameParts(
        female=_w(
            "Kadri Liis Mari Kristiina Triin Piret Eha Ülle Tiiu Merike Külli Maarja "
            "Signe Kärt Helen Õie"
        ),
        male=_w(
            "Jaan Toomas Mart Andres Peeter Rein Tõnu Urmas Priit Jüri Märt Aivar Indrek "
            "Kaupo Tõnis Ülo"
        ),
        surnames=_w(
            "Tamm Saar Sepp Mägi Kask Kukk Rebane Ilves Pärn Koppel Lepik Kuusk Oja "
            "Raudsepp Vaher Laur Mänd Põder Kõiv Lõhmus Rüütel Jõgi Pihlak Mölder Kütt "
            "Mets"
        ),
        places=_w(
            "Tallinna Tartu Pärnu Narva Viljandi Rakvere Kuressaare Haapsalu Saare Hiiu "
            "Võru Järva Lääne Põlva Jõhvi"
        ),
        heads=_w(
            "Põhja Lõuna Ida Lääne Mere Metsa Kivi Kase Kuuse Järve Ranna Päikese Tuule Sõnaja"
        ),
        tails=_w("maa tehnika ehitus puit energia valgus kivi tee sild koda mõis torn"),
        trades=_w(
            "Ehitus Andmed Logistika Nõustamine Tehnika Kinnisvara Energia Transport "
            "Metall Puit Elekter Raamatupidamine Mööbel Küte"
        ),
        suffixes=_w("OÜ OÜ OÜ AS"),
        sons="ja Pojad",
    ),
}

#: how many draws a name gets to be new; once a country's names ran out (only the
#: benchmark books, far larger than the parts, get there) its names may repeat at once
_TRIES = 12


class NameGenerator:
    """Company and person names for one generation, from its own seeded random stream.

    ``slug`` says when two names are the same (default: case-insensitive); the demo
    passes its account-key function, so distinct names give distinct keys.
    """

    def __init__(self, seed: int, slug: Callable[[str], str] | None = None) -> None:
        self._rng = random.Random(f"khm-demo-names:{seed}")
        self._slug = slug or str.casefold
        self._seen: dict[str, set[str]] = {"company": set(), "person": set()}
        self._full: set[tuple[str, str]] = set()

    def company(self, country: str) -> str:
        """A company name of ``country`` (an ISO code of :data:`PARTS`), new if possible."""
        parts = PARTS[country]
        return self._new("company", country, lambda: self._company(parts))

    def person(self, country: str) -> str:
        """A person's first and family name of ``country``, new if possible."""
        parts = PARTS[country]
        return self._new("person", country, lambda: self._person(parts))

    def _new(self, what: str, country: str, make: Callable[[], str]) -> str:
        seen = self._seen[what]
        tries = 3 if (what, country) in self._full else _TRIES
        for _ in range(tries):
            name = make()
            slug = self._slug(name)
            if slug not in seen:
                seen.add(slug)
                return name
        self._full.add((what, country))
        return name

    def _person(self, p: NameParts) -> str:
        rng = self._rng
        female = rng.random() < 0.5
        first = rng.choice(p.female if female else p.male)
        last = rng.choice(p.surnames)
        if p.patronymic:
            last += "dóttir" if female else "son"
        return f"{first} {last}"

    def _family(self, p: NameParts) -> str:
        """A family name as a company carries it (Icelandic ones as a son's)."""
        last = self._rng.choice(p.surnames)
        return last + "son" if p.patronymic else last

    def _coined(self, p: NameParts) -> str:
        rng = self._rng
        head = rng.choice(p.heads)
        tail = rng.choice(p.tails)
        while tail.casefold() in head.casefold() or head.casefold().endswith(tail[0]):
            tail = rng.choice(p.tails)
        return head + tail

    def _company(self, p: NameParts) -> str:
        rng = self._rng
        suffix = rng.choice(p.suffixes)
        u = rng.random()
        if u < 0.28:
            base = f"{self._family(p)} {rng.choice(p.trades)}"
        elif u < 0.46:
            base = f"{rng.choice(p.places)} {rng.choice(p.trades)}"
        elif u < 0.66:
            base = self._coined(p)
        elif u < 0.76:
            base = f"{self._coined(p)} {rng.choice(p.trades)}"
        elif u < 0.88:
            first, second = rng.sample(p.surnames, 2)
            if p.patronymic:
                first, second = first + "son", second + "son"
            base = f"{first} & {second}"
        elif u < 0.95:
            base = f"{self._family(p)} {p.sons}"
        else:
            base = self._family(p)
        return f"{base} {suffix}"
