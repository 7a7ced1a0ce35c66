"""The console's languages: English and Simplified Chinese. Labels come from the catalogue below (the
English text is the key); money, dates and times are formatted by Babel for the page's locale.

The page's language: the one chosen on the page (kept in the session), else the first of the collector's
roster languages the console speaks, else the browser's Accept-Language, else English."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency

LANGUAGES = {"en": "English", "zh-CN": "简体中文"}
DEFAULT = "en"

ZH: dict[str, str] = {
    "Collector's console": "催收员工作台",
    "Sign in": "登录",
    "Sign out": "退出",
    "Desk token": "工作台令牌",
    "Paste the token from `arrears collectors token`": "粘贴 `arrears collectors token` 生成的令牌",
    "Signed in as": "当前用户",
    "Worklist": "工作清单",
    "Team queue": "团队队列",
    "Scorecard": "绩效考核",
    "Language": "语言",
    "Change": "切换",
    "Today's tasks, most urgent first": "今日任务（按紧急程度排序）",
    "Task": "任务",
    "Kind": "类型",
    "Account": "账户",
    "Customer": "客户",
    "Stage": "阶段",
    "DPD": "逾期天数",
    "Overdue": "逾期金额",
    "Broken promises": "违约承诺",
    "Customer's local time": "客户当地时间",
    "Contact allowed now?": "现在可以联系吗？",
    "SLA": "时限",
    "Queue": "队列",
    "Holder": "负责人",
    "Filter": "筛选",
    "All": "全部",
    "yes": "是",
    "no": "否",
    "from": "起",
    "left": "剩余",
    "breached": "已超时",
    "No tasks due today.": "今天没有到期的任务。",
    "call": "电话",
    "visit": "上门",
    "Balance": "余额",
    "Total balance": "总余额",
    "Paid so far": "已还金额",
    "Principal": "本金",
    "Interest": "利息",
    "Fees": "费用",
    "Accrued interest": "应计利息",
    "Bucket": "账龄段",
    "Segment": "风险分层",
    "Holds": "暂停",
    "None": "无",
    "Personal data": "个人信息",
    "Name": "姓名",
    "Phone": "电话",
    "Email": "邮箱",
    "Address": "地址",
    "Reveal (logged)": "显示（将被记录）",
    "Shown in full; this was logged.": "已完整显示；此操作已记录。",
    "Time zone": "时区",
    "Timeline": "时间线",
    "When": "时间",
    "What": "事件",
    "Why": "原因",
    "Record a call outcome": "记录通话结果",
    "Outcome": "结果",
    "Duration (seconds)": "时长（秒）",
    "Reason for delinquency": "逾期原因",
    "Record": "记录",
    "Promise to pay": "还款承诺",
    "Amount": "金额",
    "Promised date": "承诺日期",
    "Take the promise": "记录承诺",
    "Instalment plan": "分期还款计划",
    "Down payment": "首付款",
    "Instalment": "分期",
    "due on": "到期日",
    "Agree the plan": "确认计划",
    "Place a hold": "暂停催收",
    "Hold type": "暂停类型",
    "Reason": "原因",
    "Days": "天数",
    "Channel complained about": "被投诉的渠道",
    "Place the hold": "确认暂停",
    "Evidence": "证据",
    "Settlement offer": "和解方案",
    "Open offer": "有效的和解方案",
    "until": "有效至",
    "Last day to pay": "最后付款日",
    "Replace the open offer": "替换有效的和解方案",
    "Discount": "减免比例",
    "above your limit": "超出您的权限",
    "within your limit": "在您的权限内",
    "The discount is measured against the total balance": "减免比例按总余额计算",
    "your role's limit": "您角色的权限",
    "Offer the settlement": "提出和解",
    "Evidence file (PDF or photo)": "证据文件（PDF 或照片）",
    "At most": "最大",
    "a visit's report cites it, a call's outcome does not (its id is shown, to cite on a hold)": "外访报告会引用它，电话结果不会（会显示其编号，可在暂停催收时引用）",
    "Evidence on file": "已存证据",
    "a call's outcome carries no evidence: cite the id on a hold": "电话结果不带证据：请在暂停催收时引用该编号",
    "Schedule a callback": "预约回电",
    "Callback at (customer's local time)": "回电时间（客户当地时间）",
    "Schedule": "预约",
    "Recorded.": "已记录。",
    "Already recorded: nothing was done twice.": "已记录过：没有重复操作。",
    "Refused": "被拒绝",
    "Not found": "未找到",
    "Forbidden": "禁止访问",
    "Back to the worklist": "返回工作清单",
    "Your session has ended; sign in again.": "会话已结束，请重新登录。",
    "The token was not accepted": "令牌无效",
    "No open task of yours on this account.": "此账户上没有您的未完成任务。",
    "Reassign": "重新分配",
    "to": "给",
    "Move": "转移",
    "SLA breaches": "超时任务",
    "Open tasks of the team": "团队未完成任务",
    "Month": "月份",
    "Show": "显示",
    "Collector": "催收员",
    "Score": "得分",
    "Band": "等级",
    "Rank": "排名",
    "Main": "主要内容",
    "Navigation": "导航",
    "Status": "状态",
    "Promises": "承诺",
    "Tasks": "任务",
    "Live status unavailable (Temporal not answering); figures from the record.": "实时状态不可用（Temporal 未响应）；数据来自记录。",
    "Episode": "催收周期",
    "Active promise": "有效承诺",
    "Active plan": "有效计划",
    "Reassigned.": "已重新分配。",
    "for": "用于",
    "The form has expired; reload the page and try again.": "表单已失效，请刷新页面后重试。",
    "The page you asked for is not among the accounts and tasks you may see.": "您请求的页面不在您可查看的账户和任务范围内。",
    "Only a supervisor or manager may see this page.": "只有主管或经理可以查看此页面。",
    "at": "于",
    "Customer's time zone": "客户时区",
    "Team": "团队",
    "Right-party contact": "本人接听",
    "Statement (the episode's ledger as posted)": "对账单（本催收周期已入账分录）",
    "Posted on": "入账日期",
    "The record only": "仅显示记录",
    "With the workflow history": "同时显示工作流历史",
    "Source": "来源",
    "Visit report (visits only)": "上门报告（仅限上门）",
    "Address verified": "地址已核实",
    "Met the cardholder": "见到持卡人",
}

OUTCOMES_ZH = {
    "right_party_contact": "本人接听",
    "third_party": "第三方接听",
    "no_answer": "无人接听",
    "busy": "占线",
    "voicemail": "语音信箱",
    "wrong_number": "号码错误",
    "refused_to_pay": "拒绝还款",
    "promise_made": "承诺还款",
    "callback_requested": "要求回电",
    "dispute_raised": "提出争议",
    "hardship_claimed": "声称困难",
}


CODES_ZH = {
    # hold types
    "dispute": "争议",
    "cease_contact": "停止联系",
    "hardship": "经济困难",
    "bankruptcy": "破产",
    "deceased": "已故",
    "complaint": "投诉",
    "fraud_claim": "欺诈申诉",
    "attorney_represented": "律师代理",
    # reasons for delinquency
    "forgot": "忘记还款",
    "cash_flow": "资金周转",
    "job_loss": "失业",
    "illness": "疾病",
    "unwilling": "不愿还款",
    # hold reasons offered on the form
    "customer disputes the amount owed": "客户对欠款金额有争议",
    "customer reports financial hardship": "客户反映经济困难",
    "customer asked that contact stop": "客户要求停止联系",
    "customer reports fraud on the card": "客户反映卡片被盗用",
    "customer complained about collection": "客户投诉催收",
    "customer is represented by an attorney": "客户已委托律师",
    # channels
    "sms": "短信",
    "email": "邮件",
    "im": "即时消息",
    "letter": "信函",
    "call": "电话",
    "visit": "上门",
}


def pick(chosen: str | None, roster: list[str] | None, accept_language: str | None) -> str:
    if chosen in LANGUAGES:
        return chosen
    for lang in roster or []:
        found = _match(lang)
        if found:
            return found
    for part in (accept_language or "").split(","):
        found = _match(part.split(";")[0].strip())
        if found:
            return found
    return DEFAULT


def _match(tag: str) -> str | None:
    tag = tag.replace("_", "-").lower()
    if tag.startswith("zh") and "tw" not in tag and "hk" not in tag and "hant" not in tag:
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return None


def babel_locale(lang: str) -> str:
    return "zh_Hans_CN" if lang == "zh-CN" else "en_GB"


class Words:
    """The page's language: ``_`` translates a label, the rest format values."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = babel_locale(lang)

    def _(self, text: str) -> str:
        return ZH.get(text, text) if self.lang == "zh-CN" else text

    def outcome(self, code: str) -> str:
        return OUTCOMES_ZH.get(code, code) if self.lang == "zh-CN" else code.replace("_", " ")

    def code(self, value: str) -> str:
        """A domain code (hold type, reason, channel) in the page's language; the code itself is what is sent."""
        return CODES_ZH.get(value, value) if self.lang == "zh-CN" else value.replace("_", " ")

    def money(self, amount: Decimal | None, currency: str) -> str:
        if amount is None:
            return "–"
        return format_currency(Decimal(amount), currency, locale=self.locale)

    def moment(self, at: datetime | None, tz: str) -> str:
        if at is None:
            return "–"
        return format_datetime(at.astimezone(ZoneInfo(tz)), "medium", tzinfo=ZoneInfo(tz), locale=self.locale)

    def clock(self, at: datetime, tz: str) -> str:
        return format_time(at.astimezone(ZoneInfo(tz)), "short", tzinfo=ZoneInfo(tz), locale=self.locale)

    def day(self, day: date | None) -> str:
        return "–" if day is None else format_date(day, "medium", locale=self.locale)
