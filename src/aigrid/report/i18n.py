"""The words of the scorecard and the report, in English and Korean: one catalogue per language.

Every string a person reads in the terminal scorecard or in `report.html` is here, under a key.
Figures and identifiers (site, program and owner ids, tenant classes, policies) are not
translated: they are filled into the `{placeholders}` as they are, so a figure reads the same in
both languages. A test holds both catalogues to the same keys and the same placeholders.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CATALOGUE", "EN", "KO", "Lang", "t"]


class Lang(StrEnum):
    EN = "en"
    KO = "ko"


EN: dict[str, str] = {
    # -- the four questions -------------------------------------------------------------------
    "q.smaller_firms": "Can smaller firms get GPUs?",
    "q.money": "Does the money reach projects?",
    "q.power": "Can the power limits be kept?",
    "q.public": "Do public services get their GPUs?",
    "status.yes": "Yes",
    "status.partly": "Partly",
    "status.no": "No",
    "status.no_data": "No data",
    # -- tenant classes, as words in sentences (tables and plots keep the identifiers) ----------
    "class.sme": "startups and SMEs",
    "class.university": "universities",
    "class.research": "research institutes",
    "class.public": "public agencies",
    "class.enterprise": "large enterprises",
    # -- pending reasons (short, for legends) ------------------------------------------------------
    "reason.no_eligible_pool": "no pool it may use",
    "reason.too_large": "larger than any pool or quota",
    "reason.quota": "program quota in use",
    "reason.borrowing_limit": "nothing left to borrow in the cohort",
    "reason.budget": "program budget",
    "reason.grant": "org's grant",
    "reason.no_capacity": "waiting for free GPUs",
    "reason.cpu_memory": "waiting for node CPU or memory",
    "reason.nvlink_domain": "no NVLink domain free enough",
    "reason.reserved": "GPUs held for a larger job's reservation",
    "reason.power_cap": "site power cap",
    "reason.deferred": "deferred to light-load hours",
    # -- terminal scorecard ------------------------------------------------------------------------
    "sc.days": "{days} days (after {warmup} of warm-up)",
    "sc.fleet": "{gpus} GPUs in {sites} sites",
    "sc.policy_seed": "policy {policy} · seed {seed}",
    "sc.jobs": (
        "jobs submitted in the window: {submitted}; {completed} completed, {running} running, "
        "{pending} pending, {rejected} rejected · utilization {util}"
    ),
    "sc.runtime": "simulated in {seconds} s ({events} events, {rate} events/s)",
    "sc.run_title": "{policy} (seed {seed})",
    "sc.tenant_class": "tenant class",
    "sc.wait_p50_p95": "wait p50 / p95",
    "sc.served_demanded": "GPU-h served / demanded\n(share of fleet)",
    "sc.still_waiting": "({n} waiting)",
    "sc.program": "program",
    "sc.budget": "budget",
    "sc.spent_held": "spent (+held)",
    "sc.funded_used": "funded GPU-h used",
    "sc.no_quota": "{gpu_h} (no quota)",
    "sc.site": "site",
    "sc.grid_cap": "grid cap",
    "sc.peak_of_cap": "peak MW (of cap)",
    "sc.total_energy": "total energy",
    "sc.public_jobs": "public inference jobs",
    "sc.wait_p50": "wait p50",
    "sc.wait_p95": "wait p95",
    "sc.verdicts": "verdict",
    "cli.wrote": "wrote {paths}",
    # -- verdicts: smaller firms -----------------------------------------------------------------
    "sf.yes": (
        "Yes. Startups, SMEs and universities start about as soon as large enterprises and get "
        "their share of GPU-hours."
    ),
    "sf.partly": (
        "Partly. Smaller tenants get GPUs, but not on equal terms on every count (marked below)."
    ),
    "sf.no": "No. {classes} both wait longer and get less than their share of GPU-hours.",
    "sf.no_data": "No jobs of startups, SMEs or universities in the window.",
    "sf.wait_ok": (
        "{cls}: half of the jobs waited up to {p50}, 1 in 20 more than {p95} "
        "(bar {bar}; large enterprises {ref_p95})."
    ),
    "sf.wait_long": (
        "{cls} wait too long: 1 in 20 jobs waited more than {p95}, above the bar of {bar} "
        "(large enterprises {ref_p95}; half of the jobs waited up to {p50})."
    ),
    "sf.share_ok": "{cls}: {served} of the GPU-hours served, for {demanded} of the demand.",
    "sf.share_short": (
        "{cls} get less than their share: {served} of the GPU-hours served for {demanded} of "
        "the demand (bar: {min_ratio} of it)."
    ),
    "sf.still_waiting": "{n} jobs of {cls} were still waiting at the end of the window.",
    # -- verdicts: money ---------------------------------------------------------------------------
    "money.yes": "Yes. Programs use most of the GPU time they fund ({used}).",
    "money.partly": "Partly. {used} of the funded GPU time is used (see the marked lines).",
    "money.no": "No. Only {used} of the funded GPU time is used; most of the money buys idle GPUs.",
    "money.no_data": "No program has a GPU quota to measure its use against.",
    "money.use": "Programs used {used} of the GPU-hours their quotas fund ({hours} of {quota}).",
    "money.low": "Using less than {bar} of their funded GPU-hours: {programs}.",
    "money.idle": "Funded GPU-hours left idle are worth {idle_krw} at list price.",
    "money.spend": (
        "Spent {spent} in the window, with {held} more held for running jobs: at this pace a "
        "year would use {pace_lo} to {pace_hi} of the {granted} granted."
    ),
    "money.over": (
        "At their settled pace, these programs would spend more than their grant within a "
        "year: {programs}."
    ),
    # -- verdicts: power ---------------------------------------------------------------------------
    "power.yes": "Yes. Every site stayed below {bar} of its grid connection.",
    "power.partly": (
        "The limits hold, but {n} of {total} sites ran at {bar} of their grid connection or "
        "more, with no headroom for new work."
    ),
    "power.no": "No. {n} of {total} sites drew more power than their grid connection.",
    "power.no_data": "No sites in the run.",
    "power.max": "Highest draw against its connection: {site}, {peak} of {cap} ({share}).",
    "power.over": "Above the grid connection: {sites}.",
    "power.near": "At or above {bar} of the grid connection: {sites}.",
    "power.waits": "Up to {n} jobs waited for power at the same time.",
    "power.energy": "Energy in the window: {mwh}, costing {cost} and emitting {tco2}.",
    # -- verdicts: public services -----------------------------------------------------------------
    "public.yes": (
        "Yes. 95% of public inference services start within {p95}, inside the {good} target."
    ),
    "public.partly": (
        "Mostly. 95% of public inference services start within {p95}: over the {good} target, "
        "within the {limit} limit."
    ),
    "public.no": (
        "No. 1 in 20 public inference services waits more than {p95}, beyond the {limit} limit."
    ),
    "public.no_data": "No public inference jobs in the window.",
    "public.wait": "{jobs} public inference jobs: half started within {p50}, 95% within {p95}.",
    # -- how the verdicts are made -----------------------------------------------------------------
    "how.sf": (
        "Smaller firms: for startups/SMEs (sme) and universities (university), the p95 wait must "
        "be at most {wait_ratio}× that of large enterprises, or {wait_floor} whichever is more, "
        "and their share of GPU-hours served at least {share_ratio} of their share of demand. "
        "Both checks: yes; one: partly; none: no. The worse class decides."
    ),
    "how.money": (
        "Money: programs together must use at least {good} of the GPU-hours their quotas fund "
        "(each program counted up to its quota) for yes, {poor} for partly. A program whose "
        "settled spend, kept up for 365 days, would exceed its grant makes it at most partly."
    ),
    "how.power": (
        "Power: a site whose peak exceeds its grid connection (by more than {tolerance}) makes "
        "it no; one at {near} of it or more, partly."
    ),
    "how.public": (
        "Public services: the p95 wait of public inference jobs must be at most {good} for yes, "
        "{limit} for partly."
    ),
    "how.waits": (
        "Waits count every job submitted in the window; one still waiting at the end counts "
        "with the wait it has so far."
    ),
    # -- the HTML report ---------------------------------------------------------------------------
    "report.title": "{scenario}: national AI compute grid report",
    "report.scorecard": "Scorecard",
    "report.figures": "Figures",
    "report.how": "How the answers are made",
    "report.made_from": (
        "Made by aigrid from this run's summary.json, jobs.parquet and timeseries.parquet."
    ),
    "report.as_of": "Scenario as of: {as_of}",
    "axis.day": "simulated day",
    "axis.util_pct": "busy GPUs / owner's GPUs (%)",
    "axis.wait_h": "wait (hours)",
    "axis.jobs_started": "share of jobs started (%)",
    "axis.share_pct": "share (%)",
    "axis.mw": "MW",
    "axis.mwh": "MWh",
    "axis.krw": "KRW",
    "axis.tco2": "tCO2",
    "axis.krw_log": "KRW (log scale)",
    "axis.funded_used_pct": "funded GPU-hours used (%)",
    "axis.pending_jobs": "pending jobs",
    "legend.served": "GPU-hours served",
    "legend.demanded": "demand",
    "legend.cap": "grid cap",
    "legend.draw": "draw",
    "legend.spent": "spent",
    "legend.held": "held for running jobs",
    "legend.granted": "granted",
    "legend.mwh": "energy",
    "legend.cost": "cost",
    "legend.tco2": "carbon",
    "fig.utilization.title": "GPU utilization by owner",
    "fig.utilization.caption": (
        "Busy GPUs as a share of each owner's GPUs, sampled hourly in the measured window."
    ),
    "fig.waits.title": "Queue wait by tenant class",
    "fig.waits.caption": (
        "Share of the window's jobs that had started within a given wait. A curve far to the "
        "left means short waits."
    ),
    "fig.shares.title": "Share of GPU-hours against share of demand",
    "fig.shares.caption": (
        "For each tenant class, its share of the GPU-hours served in the window next to its "
        "share of the GPU-hours its jobs asked for."
    ),
    "fig.power.title": "Power against the grid connection, by site",
    "fig.power.caption": "Each site's draw (MW, hourly samples) and its grid connection (dashed).",
    "fig.energy.title": "Energy, cost and carbon",
    "fig.energy.caption": (
        "Energy by site in the window. Total: {mwh}, {cost}, {tco2}. Where the run records cost "
        "and carbon by site, they are shown as well."
    ),
    "fig.burn.title": "Budget burn by program",
    "fig.burn.caption": "KRW spent since the start of the window (settled jobs), hourly.",
    "fig.budget.title": "Spent against granted, and funded GPU-hours used",
    "fig.budget.caption": (
        "Left: spent and held in the window against the grant (log scale). Right: GPU-hours "
        "used as a share of the GPU-hours the program's quota funds in the window."
    ),
    "fig.pending.title": "Pending jobs by reason",
    "fig.pending.caption": "Jobs waiting at each hourly sample, by the reason they wait.",
}


KO: dict[str, str] = {
    # -- the four questions -------------------------------------------------------------------
    "q.smaller_firms": "중소기업·스타트업이 GPU를 쓸 수 있는가?",
    "q.money": "예산이 실제 과제에 쓰이고 있는가?",
    "q.power": "전력 한도를 지킬 수 있는가?",
    "q.public": "공공 서비스가 필요한 GPU를 제때 받는가?",
    "status.yes": "예",
    "status.partly": "부분적으로",
    "status.no": "아니요",
    "status.no_data": "자료 없음",
    # -- tenant classes ----------------------------------------------------------------------------
    "class.sme": "중소기업·스타트업",
    "class.university": "대학",
    "class.research": "연구기관",
    "class.public": "공공기관",
    "class.enterprise": "대기업",
    # -- pending reasons ---------------------------------------------------------------------------
    "reason.no_eligible_pool": "쓸 수 있는 풀 없음",
    "reason.too_large": "풀·할당량보다 큰 작업",
    "reason.quota": "프로그램 할당량 소진",
    "reason.borrowing_limit": "코호트에서 빌릴 할당량 없음",
    "reason.budget": "프로그램 예산 부족",
    "reason.grant": "기관 지원금 부족",
    "reason.no_capacity": "빈 GPU 대기",
    "reason.cpu_memory": "노드 CPU·메모리 대기",
    "reason.nvlink_domain": "NVLink 도메인 여유 부족",
    "reason.reserved": "더 큰 작업의 예약으로 보류",
    "reason.power_cap": "사이트 전력 한도",
    "reason.deferred": "경부하 시간대로 연기",
    # -- terminal scorecard ------------------------------------------------------------------------
    "sc.days": "{days}일 (워밍업 {warmup}일 이후)",
    "sc.fleet": "{sites}개 사이트, GPU {gpus}개",
    "sc.policy_seed": "정책 {policy} · 시드 {seed}",
    "sc.jobs": (
        "측정 기간에 제출된 작업 {submitted}개: 완료 {completed}, 실행 중 {running}, "
        "대기 {pending}, 거부 {rejected} · 가동률 {util}"
    ),
    "sc.runtime": "시뮬레이션 {seconds}초 (이벤트 {events}개, 초당 {rate}개)",
    "sc.run_title": "{policy} (시드 {seed})",
    "sc.tenant_class": "이용자 유형",
    "sc.wait_p50_p95": "대기 p50 / p95",
    "sc.served_demanded": "제공 / 수요 GPU-h\n(전체 대비 비중)",
    "sc.still_waiting": "({n}개 대기 중)",
    "sc.program": "프로그램",
    "sc.budget": "예산",
    "sc.spent_held": "지출 (+예약)",
    "sc.funded_used": "지원 GPU-h 사용률",
    "sc.no_quota": "{gpu_h} (할당량 없음)",
    "sc.site": "사이트",
    "sc.grid_cap": "전력 한도",
    "sc.peak_of_cap": "최대 MW (한도 대비)",
    "sc.total_energy": "총 에너지",
    "sc.public_jobs": "공공 추론 작업 수",
    "sc.wait_p50": "대기 p50",
    "sc.wait_p95": "대기 p95",
    "sc.verdicts": "판정",
    "cli.wrote": "저장함: {paths}",
    # -- verdicts: smaller firms -----------------------------------------------------------------
    "sf.yes": (
        "예. 중소기업·스타트업과 대학도 대기업만큼 빨리 작업을 시작하고, 수요에 걸맞은 "
        "GPU-시간을 받습니다."
    ),
    "sf.partly": (
        "부분적으로 그렇습니다. 작은 이용자도 GPU를 받지만, "
        "모든 면에서 대등하지는 않습니다(아래 표시 참조)."
    ),
    "sf.no": "아니요. {classes}은(는) 더 오래 기다리면서 수요보다 적은 GPU-시간을 받습니다.",
    "sf.no_data": "측정 기간에 중소기업·스타트업이나 대학의 작업이 없습니다.",
    "sf.wait_ok": (
        "{cls}: 작업의 절반은 {p50} 이내에 시작했고, 20개 중 1개만 {p95}보다 오래 기다렸습니다"
        "(기준 {bar}, 대기업 {ref_p95})."
    ),
    "sf.wait_long": (
        "{cls}의 대기가 너무 깁니다: 20개 중 1개가 {p95}보다 오래 기다려 기준({bar})을 넘었습니다"
        "(대기업 {ref_p95}, 작업 절반의 대기 {p50} 이내)."
    ),
    "sf.share_ok": "{cls}: 수요의 {demanded}를 차지하고, 제공된 GPU-시간의 {served}를 받았습니다.",
    "sf.share_short": (
        "{cls}이(가) 제 몫을 받지 못합니다: 수요는 {demanded}인데 제공된 GPU-시간은 {served}입니다"
        "(기준: 수요 비중의 {min_ratio})."
    ),
    "sf.still_waiting": "측정 기간이 끝날 때 {cls}의 작업 {n}개가 아직 대기 중이었습니다.",
    # -- verdicts: money ---------------------------------------------------------------------------
    "money.yes": "예. 프로그램들이 지원하는 GPU 시간의 대부분({used})이 실제로 쓰입니다.",
    "money.partly": "부분적으로 그렇습니다. 지원된 GPU 시간의 {used}만 쓰입니다(아래 표시 참조).",
    "money.no": (
        "아니요. 지원된 GPU 시간의 {used}만 쓰입니다. 예산 대부분이 놀고 있는 GPU에 들어갑니다."
    ),
    "money.no_data": "사용률을 잴 GPU 할당량이 있는 프로그램이 없습니다.",
    "money.use": (
        "프로그램들은 할당량으로 지원되는 GPU-시간의 {used}를 썼습니다({quota} 중 {hours})."
    ),
    "money.low": "지원 GPU-시간의 {bar} 미만을 쓴 프로그램: {programs}.",
    "money.idle": "쓰이지 않은 지원 GPU-시간은 정가로 {idle_krw}어치입니다.",
    "money.spend": (
        "측정 기간에 {spent}를 지출했고, 실행 중인 작업에 {held}가 더 예약되어 있습니다. "
        "이 속도라면 1년 동안 배정 예산 {granted}의 {pace_lo}~{pace_hi}를 씁니다."
    ),
    "money.over": "정산된 지출 속도로 보면 1년 안에 배정 예산을 넘길 프로그램: {programs}.",
    # -- verdicts: power ---------------------------------------------------------------------------
    "power.yes": "예. 모든 사이트가 계통 연계 용량의 {bar} 미만으로 운영되었습니다.",
    "power.partly": (
        "한도는 지켜지지만, 사이트 {total}곳 중 {n}곳이 계통 연계 용량의 {bar} 이상으로 운영되어 "
        "새 작업을 받을 여유가 없습니다."
    ),
    "power.no": "아니요. 사이트 {total}곳 중 {n}곳이 계통 연계 용량보다 많은 전력을 썼습니다.",
    "power.no_data": "이 실행에는 사이트가 없습니다.",
    "power.max": "용량 대비 전력이 가장 높은 곳: {site}, {cap} 중 {peak} ({share}).",
    "power.over": "계통 연계 용량 초과: {sites}.",
    "power.near": "계통 연계 용량의 {bar} 이상: {sites}.",
    "power.waits": "전력 때문에 동시에 대기한 작업은 최대 {n}개였습니다.",
    "power.energy": "측정 기간 에너지: {mwh}, 비용 {cost}, 배출 {tco2}.",
    # -- verdicts: public services -----------------------------------------------------------------
    "public.yes": "예. 공공 추론 서비스의 95%가 {p95} 이내에 시작해 목표({good})를 지킵니다.",
    "public.partly": (
        "대체로 그렇습니다. 공공 추론 서비스의 95%가 {p95} 이내에 시작합니다. "
        "목표({good})는 넘지만 한계({limit}) 안입니다."
    ),
    "public.no": (
        "아니요. 공공 추론 서비스 20개 중 1개가 {p95}보다 오래 기다려 한계({limit})를 넘습니다."
    ),
    "public.no_data": "측정 기간에 공공 추론 작업이 없습니다.",
    "public.wait": ("공공 추론 작업 {jobs}개: 절반은 {p50} 이내, 95%는 {p95} 이내에 시작했습니다."),
    # -- how the verdicts are made -----------------------------------------------------------------
    "how.sf": (
        "중소기업·스타트업(sme)과 대학(university) 각각에 대해, 대기 p95가 대기업의 "
        "{wait_ratio}배와 {wait_floor} 중 큰 값 이하이고, 제공된 GPU-시간 비중이 수요 비중의 "
        "{share_ratio} 이상이어야 합니다. 둘 다 충족하면 '예', 하나만 충족하면 '부분적으로', "
        "둘 다 못 하면 '아니요'이며, 더 나쁜 쪽이 판정을 정합니다."
    ),
    "how.money": (
        "예산: 프로그램들이 할당량으로 지원되는 GPU-시간(프로그램마다 할당량까지만 셈)의 "
        "{good} 이상을 쓰면 '예', {poor} 이상이면 '부분적으로'입니다. 정산된 지출을 "
        "365일 이어 갔을 때 배정 예산을 넘는 프로그램이 있으면 많아야 '부분적으로'입니다."
    ),
    "how.power": (
        "전력: 최대 전력이 계통 연계 용량을 ({tolerance}보다 많이) 넘는 사이트가 있으면 "
        "'아니요', 용량의 {near} 이상인 사이트가 있으면 '부분적으로'입니다."
    ),
    "how.public": (
        "공공 서비스: 공공 추론 작업의 대기 p95가 {good} 이하이면 '예', {limit} 이하이면 "
        "'부분적으로'입니다."
    ),
    "how.waits": (
        "대기 시간은 측정 기간에 제출된 모든 작업을 셉니다. "
        "끝날 때까지 대기 중인 작업은 그때까지의 대기 시간으로 셉니다."
    ),
    # -- the HTML report ---------------------------------------------------------------------------
    "report.title": "{scenario}: 국가 AI 컴퓨팅 그리드 보고서",
    "report.scorecard": "한눈에 보는 결과",
    "report.figures": "그래프",
    "report.how": "판정 기준",
    "report.made_from": (
        "이 실행의 summary.json, jobs.parquet, timeseries.parquet로 aigrid가 만들었습니다."
    ),
    "report.as_of": "시나리오 기준: {as_of}",
    "axis.day": "시뮬레이션 일차",
    "axis.util_pct": "사용 중 GPU / 소유 GPU (%)",
    "axis.wait_h": "대기 시간 (시간)",
    "axis.jobs_started": "시작한 작업 비율 (%)",
    "axis.share_pct": "비중 (%)",
    "axis.mw": "MW",
    "axis.mwh": "MWh",
    "axis.krw": "KRW",
    "axis.tco2": "tCO2",
    "axis.krw_log": "KRW (로그 눈금)",
    "axis.funded_used_pct": "지원 GPU-시간 사용률 (%)",
    "axis.pending_jobs": "대기 작업 수",
    "legend.served": "제공된 GPU-시간",
    "legend.demanded": "수요",
    "legend.cap": "전력 한도",
    "legend.draw": "사용 전력",
    "legend.spent": "지출",
    "legend.held": "실행 중 작업 예약분",
    "legend.granted": "배정 예산",
    "legend.mwh": "에너지",
    "legend.cost": "비용",
    "legend.tco2": "탄소",
    "fig.utilization.title": "소유자별 GPU 가동률",
    "fig.utilization.caption": "측정 기간에 매시간 잰, 소유자별 전체 GPU 중 사용 중인 GPU의 비율.",
    "fig.waits.title": "이용자 유형별 대기 시간",
    "fig.waits.caption": (
        "측정 기간의 작업 중 주어진 대기 시간 안에 시작한 작업의 비율. 곡선이 왼쪽에 붙을수록 "
        "대기가 짧습니다."
    ),
    "fig.shares.title": "수요 비중 대비 GPU-시간 비중",
    "fig.shares.caption": (
        "이용자 유형별로, 측정 기간에 제공된 GPU-시간 비중과 작업들이 요청한 GPU-시간 비중."
    ),
    "fig.power.title": "사이트별 전력과 계통 연계 용량",
    "fig.power.caption": "사이트별 사용 전력(MW, 매시간)과 계통 연계 용량(점선).",
    "fig.energy.title": "에너지, 비용, 탄소",
    "fig.energy.caption": (
        "측정 기간 사이트별 에너지. 합계: {mwh}, {cost}, {tco2}. 실행 결과에 사이트별 비용과 "
        "탄소가 있으면 함께 보입니다."
    ),
    "fig.burn.title": "프로그램별 예산 집행",
    "fig.burn.caption": "측정 기간 시작부터 지출된 KRW(정산된 작업), 매시간.",
    "fig.budget.title": "배정 대비 지출, 지원 GPU-시간 사용률",
    "fig.budget.caption": (
        "왼쪽: 측정 기간의 지출과 예약액을 배정 예산과 비교(로그 눈금). 오른쪽: 프로그램 "
        "할당량이 측정 기간에 지원하는 GPU-시간 중 실제로 쓴 비율."
    ),
    "fig.pending.title": "사유별 대기 작업",
    "fig.pending.caption": "매시간 대기 중인 작업 수를 대기 사유별로 나눈 것.",
}

CATALOGUE: dict[Lang, dict[str, str]] = {Lang.EN: EN, Lang.KO: KO}


def t(lang: Lang, key: str, /, **params: object) -> str:
    """The text under `key` in `lang`, its `{placeholders}` filled from `params`."""
    text = CATALOGUE[lang][key]
    return text.format(**params) if params else text
