"""The message keys the code says: the checker refuses knowledge that lacks any of them."""

from __future__ import annotations

# Each file's keys, as messages/<file>.yaml names them. A key the code uses must be listed here, so that
# deleting or misspelling it in the knowledge is an error rather than a "[key]" shown to a person.
_SAID = {
    "admin": """
        chart_funnel_title chart_people chart_weekly_title column_answered column_answered_rate
        column_campaign column_entry column_example column_helpful column_no_match column_not_helpful
        column_number column_out_of_scope column_pending column_provider column_questions column_referrals
        column_sent column_stage column_suggested column_times column_topic column_week column_withdrawn
        column_wordings migrate_done migrate_table no_database purge_done purge_dry_run purge_previews
        reload_failed reload_more reload_unavailable reloaded report_campaigns_heading report_campaigns_note
        report_charts_heading report_feedback_heading report_funnel_heading report_funnel_note
        report_no_campaign report_no_topic report_nothing report_period report_providers_heading
        report_title report_topics_heading report_topics_note report_unanswered_heading report_weeks_heading
        report_written stage_answered stage_asked stage_referred stage_shortlisted stage_started stats
        stats_period stats_provider stats_referrals stats_today stats_week unanswered unanswered_line
        unanswered_none
    """,
    "ask": """
        bursary_and_scholarship bursary_next_year bursary_only bursary_rules kind_national
        kind_school_partnership kind_scitt kind_university no_bursary phase_early_years
        phase_further_education phase_primary phase_secondary phase_special provider_details
        provider_unverified route_details several_answer
    """,
    "core": """
        also_asked ask_prompt button_ask button_carry_on button_helpful button_menu button_more
        button_none_of_these button_not_helpful button_privacy button_shortlist button_topics did_you_mean
        empty error error_not_saved greeting help menu no_match out_of_scope resume_hint stale_button
        thanks_helpful thanks_not_helpful topic_page topics welcome_back
    """,
    "digest": """
        attachment_name attachment_note degree_first degree_lower_second degree_none degree_other
        degree_studying degree_third degree_upper_second footer gcse_english gcse_maths gcse_no gcse_pending
        gcse_science gcse_yes heading intro_many intro_one label_campaign label_consent_version
        label_consented label_degree label_email label_gcses label_lives_in_england label_mode label_name
        label_needs_salary label_needs_visa label_other label_phase label_phone label_place label_reference
        label_start label_subjects label_teaching_experience label_telegram label_travel_miles mode_either
        mode_full_time mode_part_time no not_given person phase_early_years phase_further_education
        phase_primary phase_secondary phase_special privacy reference run_failed run_line
        run_no_channel_many run_no_channel_one run_not_due_many run_not_due_one run_nothing
        run_placeholder_many run_placeholder_one run_previewed_many run_previewed_one run_sent_many
        run_sent_one run_unknown_provider_many run_unknown_provider_one run_waiting start_later
        start_next_september start_not_sure subject_many subject_one summary_note time_format travel_miles
        yes
    """,
    "nations": """
        abroad northern_ireland scotland wales
    """,
    "preferences": """
        ask_degree ask_gcse ask_gcse_missing ask_gcse_waiting ask_mode ask_phase ask_place ask_place_choice
        ask_salary ask_start ask_subject ask_travel ask_visa back_to_questions button_back button_carry_on
        button_change button_menu button_show button_skip button_start_again choice_not_understood
        degree_first degree_lower_second degree_none degree_other degree_studying degree_third
        degree_upper_second first_question gcse_all gcse_english gcse_maths gcse_missing gcse_science
        gcse_value_missing gcse_value_waiting gcse_waiting how_only_your_answers intro intro_known list_and
        list_bullet list_button_answer_questions list_button_how list_button_refer list_closed_heading
        list_closed_line list_default_travel list_distance list_distance_one list_distance_remote
        list_distance_under_one list_intro list_kind_national list_kind_school_partnership list_kind_scitt
        list_kind_university list_more_providers list_next list_no_providers list_no_providers_near
        list_no_routes list_none_yet list_notes_heading list_offers list_offers_subjects list_provider
        list_providers_heading list_providers_near list_route list_routes_heading list_separator mode_either
        mode_full_time mode_part_time not_given phase_early_years phase_further_education phase_primary
        phase_secondary place_label place_label_area place_not_found salary_no salary_not_sure salary_yes
        signpost_early_years signpost_further_education stale_button start_later start_next_september
        start_not_sure subject_not_found subject_suggest summary summary_degree summary_empty summary_gcse
        summary_mode summary_phase summary_place summary_salary summary_start summary_subject summary_travel
        summary_visa travel_choices travel_not_understood travel_option travel_out_of_range travel_value
        typed_back typed_change typed_degree_none typed_degree_other typed_degree_studying typed_gcse_all
        typed_gcse_english typed_gcse_maths typed_gcse_missing typed_gcse_science typed_gcse_waiting
        typed_mode_either typed_mode_full_time typed_mode_part_time typed_phase_early_years
        typed_phase_further_education typed_phase_primary typed_phase_secondary typed_question
        typed_salary_no typed_salary_not_sure typed_salary_yes typed_skip typed_start_later
        typed_start_next_september typed_start_not_sure typed_visa_no typed_visa_yes visa_no visa_yes
    """,
    "privacy": """
        button_forget button_forget_no button_forget_yes button_menu button_mydata forget_confirm
        forget_kept forgotten forgotten_provider forgotten_provider_unlisted forgotten_sent info
        mydata_answer mydata_answers mydata_campaign mydata_draft mydata_feedback mydata_intro
        mydata_no_answers mydata_no_referrals mydata_not_given mydata_referral mydata_referrals
        mydata_shortlist mydata_started mydata_turn_press mydata_turn_text mydata_turns mydata_turns_more
        status_pending status_sent status_withdrawn
    """,
    "profile": """
        button_forget button_mine button_not_mine fact_abroad fact_age fact_career_changer fact_degree_class
        fact_degree_class_subject fact_degree_none fact_degree_other fact_degree_studying
        fact_degree_studying_subject fact_degree_subject fact_gcse_all fact_gcse_no fact_gcse_pending
        fact_gcse_yes fact_job fact_mode_full_time fact_mode_part_time fact_overseas fact_phase_early_years
        fact_phase_further_education fact_phase_primary fact_phase_secondary fact_place fact_qts_no
        fact_qts_yes fact_salary_no fact_salary_yes fact_start_later fact_start_next_september fact_subjects
        fact_visa_no fact_visa_yes for_degree_first for_degree_lower_second for_degree_none
        for_degree_studying for_degree_third for_degree_upper_second forgotten gcse_and gcse_english
        gcse_maths gcse_science kept near_place not_kept noted noted_next nothing_pending other_heading
        other_line separator someone_else
    """,
    "referral": """
        already_sent already_sent_no_website already_withdrawn ask_email ask_name ask_phone ask_phone_needed
        bad_email_characters bad_email_empty bad_email_format bad_email_too_long bad_name_characters
        bad_name_empty bad_name_no_letters bad_name_too_long bad_phone_characters bad_phone_empty
        bad_phone_format bad_phone_too_long button_cancel button_done button_menu button_no button_skip
        button_start_shortlist button_withdraw button_yes cancelled confirmed confirmed_line consent
        consent_changed consent_provider consent_unavailable consent_use_buttons declined degree_first
        degree_lower_second degree_none degree_other degree_studying degree_third degree_upper_second
        gcse_no gcse_pending gcse_yes mode_either mode_full_time mode_part_time need_one no_providers
        no_shortlist phase_early_years phase_further_education phase_primary phase_secondary phase_special
        pick pick_gone_unnamed pick_none pick_off pick_on pick_stale referral_line referrals_list
        referrals_none shared_campaign shared_email shared_name shared_no_preferences shared_phone
        shared_preference shared_preferences shared_username start_later start_next_september start_not_sure
        status_pending status_sent status_withdrawn typed_cancel typed_skip value_no value_yes withdraw_none
        withdraw_pick withdraw_stale withdrawn
    """,
    "shortlist": """
        already_qts degree_class_other degree_class_third degree_needed_none degree_needed_studying
        degree_not_needed_fits degree_not_needed_graduate degree_not_needed_studying experience_fits
        experience_needed_no experience_needed_unknown fee_fits fee_when_salary_wanted gcse_english_no
        gcse_english_pending gcse_equivalent_abroad gcse_maths_no gcse_maths_pending gcse_science_no
        gcse_science_pending how mode_full_time_missing mode_part_time_missing mode_part_time_offered
        money_bursary money_bursary_degree_class money_fee_full_time money_fee_non_uk money_fee_part_time
        money_fee_range money_fee_typical money_no_bursary money_salary money_salary_apprenticeship
        money_salary_apprenticeship_area money_salary_apprenticeship_london money_salary_area
        money_salary_london money_scholarship money_year_differs money_year_differs_bursaries
        money_year_differs_fees pay_area_inner_london pay_area_london_fringe pay_area_outer_london
        phase_not_offered residence_england_only residence_england_only_uk residence_outside_fits
        residence_outside_only residence_outside_uk_nation residence_outside_unknown salary_fits
        start_apply_now start_apply_opens start_deadline_passed visa_none visa_skilled_worker visa_student
    """,
    "smalltalk": """
        bot bot_phrases button_adviser button_shortlist button_topics capabilities capabilities_phrases
        complaint complaint_phrases filler_phrases goodbye goodbye_phrases greeting greeting_phrases person
        person_passed_on person_phrases thanks thanks_phrases
    """,
    "telegram": """
        command_forget command_help command_how command_menu command_mydata command_privacy command_profile
        command_shortlist command_start command_topics group_note text_only
    """,
    "web": """
        bad_request bot_said chat_intro chat_title choices_label close_chat compare_carry_on
        compare_carry_on_hint compare_closed_heading compare_errors_title compare_how_heading compare_intro
        compare_miles_bad compare_miles_hint compare_miles_label compare_more_providers
        compare_notes_heading compare_phase_label compare_phase_missing compare_phase_primary
        compare_phase_secondary compare_place_choose compare_place_hint compare_place_label
        compare_place_missing compare_place_unknown compare_providers_heading compare_providers_none
        compare_results compare_routes_heading compare_subject_any compare_subject_hint
        compare_subject_label compare_subject_unknown compare_submit compare_title cookie_notice
        download_data empty_message footer input_hint input_label lang nav_chat nav_compare nav_label
        no_script_note not_found not_found_text open_chat rate_limited send send_failed sending server_error
        service_name session_expired skip_link too_long transcript_label widget_title you_said your_id
    """,
}

# Texts the code looks for first and does without (a topic group's label, a preference's line).
OPTIONAL_PREFIXES = ("core.group_", "referral.pref_")

MESSAGE_KEYS: frozenset[str] = frozenset(
    f"{file}.{key}" for file, keys in _SAID.items() for key in keys.split()
)
