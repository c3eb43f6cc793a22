"""The coalition's skills taxonomy: areas and their sub-skills, in Dutch and English."""

from __future__ import annotations

TAXONOMY: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("Security", "Security"): [
        ("Incidentrespons", "Incident response"),
        ("Forensisch onderzoek", "Forensics"),
        ("Penetratietesten", "Penetration testing"),
        ("Security Operations Center", "Security operations centre"),
        ("Threat intelligence", "Threat intelligence"),
        ("Identiteit en toegang", "Identity and access"),
    ],
    ("Privacy", "Privacy"): [
        ("AVG-advies", "GDPR advice"),
        ("DPIA", "Data protection impact assessment"),
        ("Functionaris gegevensbescherming", "Data protection officer"),
    ],
    ("Cloud en hosting", "Cloud and hosting"): [
        ("Cloudmigratie", "Cloud migration"),
        ("Kubernetes", "Kubernetes"),
        ("Back-up en herstel", "Backup and recovery"),
    ],
    ("Netwerken", "Networks"): [
        ("Netwerkbeheer", "Network management"),
        ("VPN en thuiswerken", "VPN and remote work"),
        ("Wifi en locaties", "Wi-Fi and sites"),
    ],
    ("Softwareontwikkeling", "Software development"): [
        ("Webapplicaties", "Web applications"),
        ("Mobiele apps", "Mobile apps"),
        ("Integraties en API's", "Integrations and APIs"),
        ("Testen en kwaliteit", "Testing and quality"),
    ],
    ("Data en AI", "Data and AI"): [
        ("Dashboards en rapportage", "Dashboards and reporting"),
        ("Data-engineering", "Data engineering"),
        ("Machine learning", "Machine learning"),
        ("Modellen en voorspellingen", "Modelling and forecasting"),
    ],
    ("UX en communicatie", "UX and communication"): [
        ("Gebruikersonderzoek", "User research"),
        ("Toegankelijkheid", "Accessibility"),
        ("Crisiscommunicatie", "Crisis communication"),
    ],
    ("Hardware en logistiek", "Hardware and logistics"): [
        ("Laptops en werkplekken", "Laptops and workstations"),
        ("Telefonie", "Telephony"),
        ("Logistiek en distributie", "Logistics and distribution"),
    ],
}
