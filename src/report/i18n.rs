//! Every word the charts and reports show, in English and French: one table per
//! language with the same keys (a test checks), looked up by key.

pub use crate::model::Lang;

impl Lang {
    fn table(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => EN,
            Lang::Fr => FR,
        }
    }

    /// The string for `key`; the key itself if missing (tests keep tables complete).
    pub fn t(self, key: &'static str) -> &'static str {
        self.table()
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(key, |(_, v)| *v)
    }

    /// Display name of a metric (`m_<name>` in the tables; a test checks that every
    /// metric has one in every language), or its column name.
    pub fn metric(self, m: crate::metrics::Metric) -> &'static str {
        let key = format!("m_{}", m.name());
        self.table()
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(m.name(), |(_, v)| *v)
    }

    /// Keys of this language's table.
    pub fn keys(self) -> Vec<&'static str> {
        self.table().iter().map(|(k, _)| *k).collect()
    }
}

/// English strings. `{}` marks are filled in order by the caller.
pub const EN: &[(&str, &str)] = &[
    ("report_title", "Funding models compared"),
    ("question", "Question"),
    ("bottom_line", "Bottom line"),
    (
        "bottom_equal",
        "On these assumptions, {} and {} deliver the same net value on average: the difference is {} (95% CI of the mean: {} to {}).",
    ),
    (
        "bottom_single",
        "This scenario has one funding model, {}: there is nothing to compare it with. Add a second model to compare.",
    ),
    ("budget_line", "Budget {}"),
    ("lower_better", "lower is better"),
    ("change_heading", "What would change the answer"),
    (
        "change_none",
        "No input in its plausible range flips the answer: moved one at a time from low to high, none changes the sign of the mean difference. The three that move it most:",
    ),
    (
        "change_flips",
        "Inputs that flip the answer: {} of the {} moved. The three that move the difference most:",
    ),
    (
        "change_row",
        "{}: from {} to {}, the difference goes from {} to {}",
    ),
    ("change_flip", "; the answer flips at {} (scenario: {})"),
    (
        "change_missing",
        "Not measured in this run: run it again with --sensitivity to move each input low and high and find where the answer flips.",
    ),
    ("t_exceedance", "Chance of positive net value: {} {}, {} {}"),
    (
        "c_exceedance",
        "For each net value on the horizontal axis, the share of simulated funds that did at least as well: the further right a curve, the better. The black line marks zero.",
    ),
    ("y_exceedance", "Chance of at least this"),
    ("run_date", "Simulated on {}"),
    (
        "bottom_more",
        "On these assumptions, {} delivers more net value than {} in {} of simulated funds: {} more per fund on average (95% CI of the mean: {} to {}).",
    ),
    (
        "bottom_less",
        "On these assumptions, {} delivers more net value than {}: the latter does better in only {} of simulated funds and delivers {} less per fund on average (95% CI of the mean: {} to {}).",
    ),
    (
        "bottom_range",
        "Fund by fund, the difference varies far more than its mean: in 90% of simulated funds it lies between {} and {}, and {} does worse in {} of them.",
    ),
    ("risk_heading", "Risks, fund by fund"),
    ("risk_over_budget", "Chance of spending past the budget"),
    (
        "risk_negative",
        "Chance of losing money (net value below zero)",
    ),
    ("risk_p5", "Worst 5% of funds: net value at most"),
    ("risk_range", "Net value in 90% of funds (p5 to p95)"),
    ("risk_mean", "Mean net value [95% CI of the mean]"),
    ("tradeoffs", "Trade-offs"),
    (
        "tradeoff_services",
        "Services delivered per fund: {} with {} against {} with {}.",
    ),
    (
        "tradeoff_split",
        "The {} difference in net value is {} of value delivered and {} of money not spent (money not spent goes back to the treasury; in a difference of net value it counts dollar for dollar).",
    ),
    (
        "tradeoff_split_spend",
        "The {} difference in net value is {} of value delivered, less {} of extra spending.",
    ),
    ("answer", "Answer"),
    (
        "question_text",
        "Which way of funding digital services gives the most value for the least waste in “{}”?",
    ),
    (
        "answer_baseline",
        "The comparison is with the strongest of the {} baselines, {}: the one with the highest mean net value ({} per fund; the others: {}).",
    ),
    (
        "answer_waste",
        "It wasted {} of its spend against {} ({} points; 95% CI {} to {}), and small vendors received {} of vendor spend against {}.",
    ),
    (
        "answer_time",
        "First value came after {} months against {}, and the largest contract took {} of the budget against {}.",
    ),
    (
        "headline_table",
        "Headline metrics (mean and 95% confidence interval per fund)",
    ),
    ("metric", "Metric"),
    ("charts", "Charts"),
    ("assumptions", "Assumptions that drive the result"),
    ("reproduce", "How to reproduce"),
    (
        "reproduce_text",
        "In the folder that holds this run's folder, this command (budgetsim {}) writes the same data files again, byte for byte, into a new folder beside it:",
    ),
    ("scenario_hash", "Scenario (resolved) SHA-256"),
    ("seed", "Seed"),
    ("portfolios", "Simulated funds"),
    ("version", "budgetsim version"),
    ("source", "Source"),
    ("value", "Value"),
    ("parameter", "Parameter"),
    ("months", "months"),
    ("funds", "funds"),
    ("model", "Funding model"),
    ("stage", "Stage"),
    ("month", "Month"),
    ("ideas_per_fund", "Ideas per fund"),
    ("entering", "entering"),
    ("killed", "stopped at the gate after"),
    ("median_band", "median, band p10–p90"),
    ("cumulative_spend", "Cumulative spend"),
    ("cumulative_value", "Cumulative delivered value"),
    ("zero", "no difference"),
    ("m_delivered_value", "Delivered value"),
    ("m_net_value", "Net value"),
    ("m_committed_unspent", "Committed, not yet paid"),
    ("m_wip", "Spend on work in progress"),
    ("m_delivered_spend", "Spend on delivered ideas"),
    ("m_value_per_dollar", "Value per dollar"),
    ("m_ideas_considered", "Ideas considered"),
    ("m_ideas_started", "Ideas started"),
    ("m_ideas_killed", "Ideas stopped at a gate"),
    ("m_ideas_cancelled", "Ideas cancelled at the escalation cap"),
    ("m_misfits_delivered", "Delivered ideas meeting no need"),
    ("m_mean_months_to_value", "Mean months to value"),
    ("m_cost_overrun", "Cost overrun"),
    ("m_schedule_slip", "Schedule slip"),
    ("m_sole_source_share", "Share awarded without bids"),
    ("m_waste", "Waste"),
    ("m_waste_share", "Waste share of spend"),
    ("m_spend", "Spend"),
    ("m_lockin_exposure", "Lock-in exposure"),
    ("m_small_vendor_share", "Small-vendor share"),
    ("m_months_to_first_value", "Months to first value"),
    ("m_vendor_hhi", "Vendor concentration (HHI)"),
    (
        "m_largest_contract_share",
        "Largest contract, share of budget",
    ),
    ("m_ideas_delivered", "Ideas delivered"),
    ("m_overhead", "Gate and procurement overhead"),
    ("m_stranded_spend", "Spend stranded for lack of money"),
    ("m_ideas_held", "Ideas that waited for money"),
    (
        "t_value_dist",
        "Delivered value per fund: {} highest, at {} on average",
    ),
    ("t_waste_dist", "{} wasted {} {} than {} (95% CI {} to {})"),
    (
        "t_headline",
        "{} against {}: {} net value per fund (95% CI {} to {})",
    ),
    ("t_paired", "{} beat {} on net value in {} of funds"),
    (
        "t_funnel",
        "Stage gates stopped {} of ideas before their last stage",
    ),
    (
        "t_time",
        "By month {}, {} had released {} of value and spent {} (medians)",
    ),
    (
        "t_vendors",
        "Small vendors received {} of vendor spend under {}",
    ),
    ("t_scatter", "Value against waste: {} sits highest on value"),
    ("t_sweep", "{} against {}: mean and 95% CI per model"),
    (
        "t_sweep_difference",
        "Net value per fund, {} minus {}, against {}: paired mean and 95% CI",
    ),
    (
        "t_tornado",
        "{}, {} minus {}: most sensitive to {} (one at a time, same seeds)",
    ),
    ("x_tornado", "Difference in {} ({} minus {})"),
    ("l_low", "Parameter at its low value"),
    ("l_base", "as in the scenario: {}"),
    ("l_high", "Parameter at its high value"),
    (
        "t_bridge",
        "Net value, {} minus {}: {} with every mechanism off, {} with all on; {} counts most ({})",
    ),
    (
        "x_bridge",
        "Difference in net value per fund, mean over funds (whiskers: 95% CI)",
    ),
    ("l_favours", "Favours {}"),
    ("l_bridge_total", "Every mechanism off, then all on"),
    ("explain_heading", "Where the difference comes from"),
    (
        "explain_text",
        "The {} mechanisms of the model listed below were switched off and on in all {} combinations, each run on the first {} simulated funds of this run (the same ideas and risks in every combination), and the difference in net value of {} over {} was shared among them by Shapley values: a mechanism’s contribution is how much the difference moves when it is switched on, averaged over every order in which the mechanisms could be switched on. Fund by fund, the contributions add up from the difference with every mechanism off to the difference with all of them on.",
    ),
    (
        "explain_result",
        "With every mechanism off the difference is {} per fund; with all of them on it is {} (95% CI {} to {}). {} counts most: {} (95% CI {} to {}).",
    ),
    (
        "c_bridge",
        "Each bar starts where the one above it ended, from the difference with every mechanism off (top) to the difference with all of them on (bottom). A bar’s colour is the model its mechanism favours; whiskers are 95% confidence intervals across funds.",
    ),
    ("explain_mechanism", "Mechanism"),
    (
        "explain_contribution",
        "Contribution to the difference (95% CI)",
    ),
    ("explain_share", "Share of the difference"),
    ("explain_off", "Switched off by"),
    (
        "t_heatmap",
        "Net value per fund, {} minus {}, at every point of the grid",
    ),
    (
        "sweep_report_title",
        "Funding models compared across a sweep",
    ),
    (
        "sweep_question",
        "How does {} compare with {} across the swept values of {}?",
    ),
    (
        "sweep_range",
        "The net-value difference of {} over {} runs from {} (at {}) to {} (at {}).",
    ),
    (
        "sweep_count",
        "{} comes out ahead with 95% confidence at {} of the {} points, and behind at {}.",
    ),
    (
        "sweep_paired",
        "Every point uses the same seed and the same ideas, so differences between points come from the swept values, not from chance.",
    ),
    (
        "sweep_table",
        "Net value per fund at every point (mean and 95% CI)",
    ),
    ("difference", "{} minus {}"),
    (
        "c_sweep",
        "Mean per fund with its 95% confidence band, one line per model; other swept fields at their first value.",
    ),
    (
        "c_heatmap",
        "Paired difference in net value at every point of the grid: blue where the challenger leads, red-orange where it trails.",
    ),
    (
        "c_sweep_difference",
        "Paired difference in net value along the first swept field, with its 95% confidence band: the same portfolios run under both models, so chance common to both cancels out. Where the band stays above zero the challenger leads.",
    ),
    (
        "sweep_reproduce",
        "In the folder that holds this sweep's folder, this command (budgetsim {}) runs the sweep again; its scenario.toml holds every swept field:",
    ),
    ("less", "less"),
    ("more", "more"),
    (
        "c_value_dist",
        "Box: 25th–75th percentile of funds; whiskers: 5th–95th; line: median.",
    ),
    (
        "c_waste_dist",
        "Waste is spend on ideas that ended without value: killed, cancelled or useless once delivered.",
    ),
    (
        "c_headline",
        "Each panel shows one metric; bars are means, whiskers the 95% confidence interval.",
    ),
    (
        "c_paired",
        "Distribution over funds of the difference in net value (same ideas, same risks); the line marks no difference.",
    ),
    (
        "c_funnel",
        "Mean ideas per fund entering each stage, and stopped at the gate after it.",
    ),
    (
        "c_time",
        "Median across funds with the 10th–90th percentile band.",
    ),
    (
        "c_vendors",
        "Vendor concentration (HHI, above 2,500 is highly concentrated) and small vendors' share of spend; 95% CI.",
    ),
    (
        "c_scatter",
        "Mean delivered value against mean waste per fund, with 95% CIs.",
    ),
    ("a_budget", "Fund budget"),
    ("a_horizon", "Horizon"),
    ("a_ideas", "Ideas arriving"),
    ("a_fit", "Ideas meeting a real need"),
    ("a_noise", "Business-case error (sd of log value)"),
    (
        "a_overrun",
        "Black swans among contracts of reference length",
    ),
    ("a_drift", "Requirements half-life"),
    ("a_cap", "Escalation cap (multiple of plan)"),
    ("a_switching", "Switching cost (share of spend to date)"),
    ("a_small_cap", "Largest contract a small vendor can take"),
    ("a_gates", "Gate review cost / delay"),
    (
        "src_scenario",
        "scenario file; see its comments for sources",
    ),
    ("src_hbr", "Flyvbjerg & Budzier, HBR 2011"),
    ("src_10x", "GSA 10x FY21 impact report"),
    ("src_peukert", "Peukert 2019"),
    ("src_assumption", "assumption"),
    // Charts and sweeps (2x, best point)
    ("sweep_at", "at {}"),
    (
        "sweep_best",
        "best at {} = {}; {} cannot be told apart from it (95% CIs overlap)",
    ),
    (
        "sweep_best_alone",
        "best at {} = {}, ahead of every other point (95% CIs apart)",
    ),
    ("sweep_best_of", "{}: {}"),
    ("sweep_best_mark", "best"),
    ("list_sep", ", "),
];

/// French strings, same keys as [`EN`].
pub const FR: &[(&str, &str)] = &[
    ("report_title", "Comparaison des modes de financement"),
    ("question", "Question"),
    ("bottom_line", "En bref"),
    (
        "bottom_equal",
        "Selon ces hypothèses, {} et {} produisent en moyenne la même valeur nette : l’écart est de {} (IC à 95 % de la moyenne : de {} à {}).",
    ),
    (
        "bottom_single",
        "Ce scénario ne compte qu’un mode de financement, {} : il n’y a rien à comparer. Ajoutez un second mode pour comparer.",
    ),
    ("budget_line", "Budget de {}"),
    ("lower_better", "plus bas, c’est mieux"),
    ("change_heading", "Ce qui changerait la réponse"),
    (
        "change_none",
        "Aucune donnée d’entrée, dans sa plage plausible, ne renverse la réponse : déplacée une à la fois de sa valeur basse à sa valeur haute, aucune ne change le signe de l’écart moyen. Les trois qui le font le plus varier :",
    ),
    (
        "change_flips",
        "Données d’entrée qui renversent la réponse : {} des {} déplacées. Les trois qui font le plus varier l’écart :",
    ),
    ("change_row", "{} : de {} à {}, l’écart passe de {} à {}"),
    (
        "change_flip",
        " ; la réponse se renverse à {} (scénario : {})",
    ),
    (
        "change_missing",
        "Non mesuré pour cette simulation : relancez-la avec --sensitivity pour déplacer chaque donnée d’entrée vers sa valeur basse et sa valeur haute, et trouver où la réponse se renverse.",
    ),
    (
        "t_exceedance",
        "Probabilité d’une valeur nette positive : {} {}, {} {}",
    ),
    (
        "c_exceedance",
        "Pour chaque valeur nette de l’axe horizontal, la part des fonds simulés qui ont fait au moins aussi bien : plus une courbe est à droite, mieux c’est. La ligne noire marque zéro.",
    ),
    ("y_exceedance", "Probabilité d’au moins autant"),
    ("run_date", "Simulation du {}"),
    (
        "bottom_more",
        "Selon ces hypothèses, {} produit plus de valeur nette que {} dans {} des fonds simulés : {} de plus par fonds en moyenne (IC à 95 % de la moyenne : de {} à {}).",
    ),
    (
        "bottom_less",
        "Selon ces hypothèses, {} produit plus de valeur nette que {} : ce dernier ne fait mieux que dans {} des fonds simulés et produit {} de moins par fonds en moyenne (IC à 95 % de la moyenne : de {} à {}).",
    ),
    (
        "bottom_range",
        "D’un fonds à l’autre, l’écart varie bien plus que sa moyenne : dans 90 % des fonds simulés, il se situe entre {} et {}, et {} fait moins bien dans {} d’entre eux.",
    ),
    ("risk_heading", "Risques, fonds par fonds"),
    (
        "risk_over_budget",
        "Probabilité de dépenser au-delà du budget",
    ),
    (
        "risk_negative",
        "Probabilité de perdre de l’argent (valeur nette négative)",
    ),
    (
        "risk_p5",
        "5 % des fonds les moins favorables : valeur nette d’au plus",
    ),
    ("risk_range", "Valeur nette dans 90 % des fonds (p5 à p95)"),
    (
        "risk_mean",
        "Valeur nette moyenne [IC à 95 % de la moyenne]",
    ),
    ("tradeoffs", "Compromis"),
    (
        "tradeoff_services",
        "Services livrés par fonds : {} avec {} contre {} avec {}.",
    ),
    (
        "tradeoff_split",
        "L’écart de {} en valeur nette se compose de {} de valeur livrée et de {} d’argent non dépensé (l’argent non dépensé retourne au Trésor ; dans un écart de valeur nette, il compte dollar pour dollar).",
    ),
    (
        "tradeoff_split_spend",
        "L’écart de {} en valeur nette se compose de {} de valeur livrée, moins {} de dépenses supplémentaires.",
    ),
    ("answer", "Réponse"),
    (
        "question_text",
        "Quel mode de financement des services numériques donne le plus de valeur pour le moins de gaspillage dans « {} » ?",
    ),
    (
        "answer_baseline",
        "La comparaison se fait avec la plus solide des {} références, {} : celle dont la valeur nette moyenne est la plus élevée ({} par fonds ; les autres : {}).",
    ),
    (
        "answer_waste",
        "Il a gaspillé {} de ses dépenses contre {} ({} points ; IC à 95 % de {} à {}), et les petits fournisseurs ont reçu {} des dépenses contre {}.",
    ),
    (
        "answer_time",
        "La première valeur est arrivée après {} mois contre {}, et le plus gros contrat a pris {} du budget contre {}.",
    ),
    (
        "headline_table",
        "Indicateurs principaux (moyenne et intervalle de confiance à 95 % par fonds)",
    ),
    ("metric", "Indicateur"),
    ("charts", "Graphiques"),
    ("assumptions", "Hypothèses qui déterminent le résultat"),
    ("reproduce", "Comment reproduire"),
    (
        "reproduce_text",
        "Dans le dossier qui contient le dossier de cette simulation, cette commande (budgetsim {}) réécrit les mêmes fichiers de données, octet pour octet, dans un nouveau dossier voisin :",
    ),
    ("scenario_hash", "SHA-256 du scénario (résolu)"),
    ("seed", "Graine"),
    ("portfolios", "Fonds simulés"),
    ("version", "Version de budgetsim"),
    ("source", "Source"),
    ("value", "Valeur"),
    ("parameter", "Paramètre"),
    ("months", "mois"),
    ("funds", "fonds"),
    ("model", "Mode de financement"),
    ("stage", "Étape"),
    ("month", "Mois"),
    ("ideas_per_fund", "Idées par fonds"),
    ("entering", "entrées"),
    ("killed", "arrêtées au point de décision suivant"),
    ("median_band", "médiane, bande p10–p90"),
    ("cumulative_spend", "Dépenses cumulées"),
    ("cumulative_value", "Valeur livrée cumulée"),
    ("zero", "aucune différence"),
    ("m_delivered_value", "Valeur livrée"),
    ("m_net_value", "Valeur nette"),
    ("m_committed_unspent", "Engagé, non encore payé"),
    ("m_wip", "Dépenses sur travaux en cours"),
    ("m_delivered_spend", "Dépenses sur idées livrées"),
    ("m_value_per_dollar", "Valeur par dollar"),
    ("m_ideas_considered", "Idées examinées"),
    ("m_ideas_started", "Idées lancées"),
    ("m_ideas_killed", "Idées arrêtées à un point de décision"),
    (
        "m_ideas_cancelled",
        "Idées annulées au plafond de dépassement",
    ),
    (
        "m_misfits_delivered",
        "Idées livrées ne répondant à aucun besoin",
    ),
    (
        "m_mean_months_to_value",
        "Délai moyen avant la valeur (mois)",
    ),
    ("m_cost_overrun", "Dépassement de coûts"),
    ("m_schedule_slip", "Retard sur l’échéancier"),
    ("m_sole_source_share", "Part attribuée sans soumission"),
    ("m_waste", "Gaspillage"),
    ("m_waste_share", "Part des dépenses gaspillée"),
    ("m_spend", "Dépenses"),
    ("m_lockin_exposure", "Exposition à la dépendance"),
    ("m_small_vendor_share", "Part des petits fournisseurs"),
    ("m_months_to_first_value", "Mois avant la première valeur"),
    ("m_vendor_hhi", "Concentration des fournisseurs (IHH)"),
    (
        "m_largest_contract_share",
        "Plus gros contrat, part du budget",
    ),
    ("m_ideas_delivered", "Idées livrées"),
    ("m_overhead", "Frais d’examen et d’approvisionnement"),
    ("m_stranded_spend", "Dépenses bloquées faute de fonds"),
    ("m_ideas_held", "Idées en attente de fonds"),
    (
        "t_value_dist",
        "Valeur livrée par fonds : {} en tête, à {} en moyenne",
    ),
    (
        "t_waste_dist",
        "{} a gaspillé {} {} que {} (IC à 95 % de {} à {})",
    ),
    (
        "t_headline",
        "{} face à {} : {} de valeur nette par fonds (IC à 95 % de {} à {})",
    ),
    (
        "t_paired",
        "{} a battu {} en valeur nette dans {} des fonds",
    ),
    (
        "t_funnel",
        "Les points de décision ont arrêté {} des idées avant leur dernière étape",
    ),
    (
        "t_time",
        "Au mois {}, {} avait livré {} de valeur et dépensé {} (médianes)",
    ),
    (
        "t_vendors",
        "Les petits fournisseurs ont reçu {} des dépenses sous {}",
    ),
    (
        "t_scatter",
        "Valeur et gaspillage : {} offre la plus forte valeur",
    ),
    ("t_sweep", "{} selon {} : moyenne et IC à 95 % par mode"),
    (
        "t_sweep_difference",
        "Valeur nette par fonds, {} moins {}, selon {} : moyenne appariée et IC à 95 %",
    ),
    (
        "t_tornado",
        "{}, {} moins {} : le plus sensible à {} (un paramètre à la fois, mêmes graines)",
    ),
    ("x_tornado", "Écart de {} ({} moins {})"),
    ("l_low", "Paramètre à sa valeur basse"),
    ("l_base", "scénario tel quel : {}"),
    ("l_high", "Paramètre à sa valeur haute"),
    (
        "t_bridge",
        "Valeur nette, {} moins {}\u{202f}: {} sans aucun mécanisme, {} avec tous\u{202f}; {} pèse le plus ({})",
    ),
    (
        "x_bridge",
        "Écart de valeur nette par fonds, moyenne sur les fonds (moustaches\u{202f}: IC à 95\u{a0}%)",
    ),
    ("l_favours", "À l’avantage de {}"),
    ("l_bridge_total", "Sans aucun mécanisme, puis avec tous"),
    ("explain_heading", "D’où vient l’écart"),
    (
        "explain_text",
        "Les {} mécanismes du modèle énumérés ci-dessous ont été désactivés et activés dans les {} combinaisons possibles, chacune simulée sur les {} premiers fonds de cette simulation (mêmes idées et mêmes risques dans chaque combinaison), et l’écart de valeur nette de {} par rapport à {} a été réparti entre eux selon la valeur de Shapley\u{202f}: la contribution d’un mécanisme est la variation de l’écart quand on l’active, en moyenne sur tous les ordres d’activation possibles. Fonds par fonds, les contributions s’additionnent pour passer de l’écart sans aucun mécanisme à l’écart avec tous.",
    ),
    (
        "explain_result",
        "Sans aucun mécanisme, l’écart est de {} par fonds\u{202f}; avec tous, il est de {} (IC à 95\u{a0}% de {} à {}). {} pèse le plus\u{202f}: {} (IC à 95\u{a0}% de {} à {}).",
    ),
    (
        "c_bridge",
        "Chaque barre part de la fin de la précédente, de l’écart sans aucun mécanisme (en haut) à l’écart avec tous (en bas). La couleur d’une barre indique le mode de financement que son mécanisme avantage\u{202f}; les moustaches sont les intervalles de confiance à 95\u{a0}% sur les fonds.",
    ),
    ("explain_mechanism", "Mécanisme"),
    (
        "explain_contribution",
        "Contribution à l’écart (IC à 95\u{a0}%)",
    ),
    ("explain_share", "Part de l’écart"),
    ("explain_off", "Désactivé par"),
    (
        "t_heatmap",
        "Valeur nette par fonds, {} moins {}, en chaque point de la grille",
    ),
    (
        "sweep_report_title",
        "Modes de financement comparés sur un balayage",
    ),
    (
        "sweep_question",
        "Comment {} se compare-t-il à {} selon les valeurs balayées de {} ?",
    ),
    (
        "sweep_range",
        "L’écart de valeur nette de {} sur {} va de {} ({}) à {} ({}).",
    ),
    (
        "sweep_count",
        "{} l’emporte avec une confiance de 95 % en {} des {} points, et perd en {}.",
    ),
    (
        "sweep_paired",
        "Chaque point utilise la même graine et les mêmes idées : les écarts entre points viennent des valeurs balayées, pas du hasard.",
    ),
    (
        "sweep_table",
        "Valeur nette par fonds à chaque point (moyenne et IC à 95 %)",
    ),
    ("difference", "{} moins {}"),
    (
        "c_sweep",
        "Moyenne par fonds avec sa bande de confiance à 95 %, une ligne par mode ; les autres champs balayés à leur première valeur.",
    ),
    (
        "c_heatmap",
        "Écart apparié de valeur nette à chaque point de la grille : bleu où le modèle évalué mène, rouge orangé où il est derrière.",
    ),
    (
        "c_sweep_difference",
        "Écart apparié de valeur nette selon le premier champ balayé, avec sa bande de confiance à 95 % : les mêmes portefeuilles passent sous les deux modes, si bien que le hasard commun aux deux s’annule. Là où la bande reste au-dessus de zéro, le modèle évalué mène.",
    ),
    (
        "sweep_reproduce",
        "Dans le dossier qui contient le dossier de ce balayage, cette commande (budgetsim {}) refait le balayage ; son fichier scenario.toml contient chaque paramètre balayé :",
    ),
    ("less", "de moins"),
    ("more", "de plus"),
    (
        "c_value_dist",
        "Boîte : 25e–75e centile des fonds ; moustaches : 5e–95e ; trait : médiane.",
    ),
    (
        "c_waste_dist",
        "Le gaspillage est la dépense sur des idées terminées sans valeur : arrêtées, annulées ou inutiles une fois livrées.",
    ),
    (
        "c_headline",
        "Chaque panneau montre un indicateur ; barres : moyennes, moustaches : IC à 95 %.",
    ),
    (
        "c_paired",
        "Répartition sur les fonds de l’écart de valeur nette (mêmes idées, mêmes risques) ; le trait marque l’absence d’écart.",
    ),
    (
        "c_funnel",
        "Nombre moyen d’idées par fonds entrant dans chaque étape et arrêtées au point de décision qui la suit.",
    ),
    (
        "c_time",
        "Médiane sur les fonds avec la bande du 10e au 90e centile.",
    ),
    (
        "c_vendors",
        "Concentration des fournisseurs (IHH, au-delà de 2 500 : très concentré) et part des petits fournisseurs ; IC à 95 %.",
    ),
    (
        "c_scatter",
        "Valeur livrée moyenne et gaspillage moyen par fonds, avec IC à 95 %.",
    ),
    ("a_budget", "Budget du fonds"),
    ("a_horizon", "Horizon"),
    ("a_ideas", "Idées soumises"),
    ("a_fit", "Idées répondant à un vrai besoin"),
    (
        "a_noise",
        "Erreur des dossiers d’affaires (é.-t. du log de la valeur)",
    ),
    (
        "a_overrun",
        "Cygnes noirs parmi les contrats de durée de référence",
    ),
    ("a_drift", "Demi-vie des besoins"),
    ("a_cap", "Plafond d’escalade (multiple du plan)"),
    (
        "a_switching",
        "Coût de changement (part des dépenses engagées)",
    ),
    (
        "a_small_cap",
        "Plus gros contrat accessible à un petit fournisseur",
    ),
    ("a_gates", "Coût et délai d’un point de décision"),
    (
        "src_scenario",
        "fichier de scénario ; ses commentaires citent les sources",
    ),
    ("src_hbr", "Flyvbjerg et Budzier, HBR 2011"),
    ("src_10x", "Rapport d’impact GSA 10x, exercice 2021"),
    ("src_peukert", "Peukert 2019"),
    ("src_assumption", "hypothèse"),
    // Charts and sweeps (2x, best point)
    ("sweep_at", "pour {}"),
    (
        "sweep_best",
        "meilleur point : {} = {} ; impossible de le distinguer de {} (IC à 95 % qui se chevauchent)",
    ),
    (
        "sweep_best_alone",
        "meilleur point : {} = {}, devant tous les autres (IC à 95 % disjoints)",
    ),
    ("sweep_best_of", "{} : {}"),
    ("sweep_best_mark", "meilleur"),
    ("list_sep", " ; "),
];

/// Fills `{}` marks in order.
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut parts = template.split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push_str(args.get(i).copied().unwrap_or(""));
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_label_in_every_language() {
        // A metric added or renamed without a label would show its column name (or,
        // read by name, nothing) in the leadership report.
        for lang in [Lang::En, Lang::Fr] {
            for &m in crate::metrics::Metric::ALL {
                let key = format!("m_{}", m.name());
                assert!(
                    lang.keys().contains(&key.as_str()),
                    "{lang:?} has no label {key} for metric {}",
                    m.name()
                );
            }
        }
    }

    #[test]
    fn both_tables_have_the_same_keys_and_placeholders() {
        let (en, fr) = (Lang::En.keys(), Lang::Fr.keys());
        assert_eq!(
            en, fr,
            "English and French tables must list the same keys in the same order"
        );
        for (k, v) in EN {
            let fr = Lang::Fr.t(k);
            assert_eq!(
                v.matches("{}").count(),
                fr.matches("{}").count(),
                "placeholders differ for {k}"
            );
        }
        let mut sorted = en.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), en.len(), "duplicate keys");
    }

    #[test]
    fn french_follows_french_typography() {
        // A narrow no-break space before : ; ? ! and », and after «; a no-break space
        // before %; one apostrophe (’). A plain space there lets a browser break the
        // line before the colon.
        for (k, v) in FR {
            let chars: Vec<char> = v.chars().collect();
            for (i, w) in chars.windows(2).enumerate() {
                let bad_before = matches!(w[1], ':' | ';' | '?' | '!' | '»') && w[0] != '\u{202f}';
                let bad_after = w[0] == '«' && w[1] != '\u{202f}';
                let bad_percent = w[1] == '%' && matches!(w[0], ' ' | '\u{202f}');
                assert!(
                    !(bad_before || bad_after || bad_percent),
                    "{k}: `{}` at character {i} of {v:?}",
                    w.iter().collect::<String>()
                );
            }
            assert!(!v.contains('\''), "{k}: write ’, not ', in {v:?}");
        }
    }

    #[test]
    fn fill_replaces_in_order() {
        assert_eq!(fill("{} beat {}", &["A", "B"]), "A beat B");
    }
}
