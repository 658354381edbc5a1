"""What each page is for and what to do on it, in one to three sentences, by URL name.

The 帮助 box above every page shows the text of the page being viewed
(``context_processors``); a page without one here offers the user guide instead. A text
says what the page is for; the page itself shows each person what they may do there."""

PAGE_HELP: dict[str, str] = {
    # -- accounts
    "login": "用工号和密码登录。忘记密码请联系系统管理员重置；连续输错多次后账号会被暂时锁定。",
    "password_change": "输入原密码和两次新密码后保存。新密码须满足页面提示的强度要求。",
    "password_change_done": "密码已修改，下次登录请使用新密码。",
    "second_factor_verify": (
        "打开手机上的验证器应用，输入它显示的 6 位动态验证码；手机不在身边时可输入一条恢复码。"
    ),
    "second_factor_enrol": (
        "用验证器应用扫描二维码（或输入密钥）完成绑定，再输入应用显示的验证码。"
        "请妥善保存随后显示的恢复码。"
    ),
    "second_factor_recovery_codes": (
        "恢复码在手机丢失时代替动态验证码登录，每条只能用一次。请抄写或打印后妥善保存。"
    ),
    # -- home, search, notices
    "home": "首页列出您的待办事项和正在进行的考评。点击待办即可进入要填写、审核或整改的页面。",
    "search": (
        "按关键词查找您有权查看的组织、党员、账号、考评表和整改问题；"
        "每类最多先显示 20 条，点“查看全部”翻页浏览。"
    ),
    "notice_list": (
        "站内通知汇总了分配给您的考评、退回、催办和整改提醒。"
        "点击通知进入相关页面，看过的通知会标为已读。"
    ),
    # -- organizations and people
    "org_tree": (
        "组织架构按层级列出您管辖范围内的党组织。可按名称、类型或提醒筛选，点击组织查看详情。"
    ),
    "org_detail": (
        "本页是一个党组织的基本情况：班子、党员人数、任期和下级组织。"
        "页面上方的按钮通往您可以查看的名册、记录和台账。"
    ),
    "org_create": "填写新党组织的名称、编码、类型和上级组织后保存。编码在全系统内不能重复。",
    "org_edit": "修改党组织的基本信息后保存，修改会记入审计记录。",
    "term_reminders": "列出任期即将届满或已经届满的党组织，请督促按期换届并在换届后更新任期。",
    "import_upload": (
        "先下载模板，按模板填好后上传 Excel。上传后会先显示预览和逐行检查结果，确认无误才会导入。"
    ),
    "import_preview": (
        "检查每一行的预览结果和错误提示。全部无误才能导入；有错误请改好文件后重新上传。"
    ),
    "group_list": "互评组把企业分组，组与组之间交叉互评。这里查看各组成员和互评关系。",
    "group_create": "填写互评组名称并选择成员企业后保存。一个组不能互评自己。",
    "group_edit": "调整互评组的名称、成员企业或互评对象后保存。",
    "people_list": (
        "人员与角色列出您可管理的账号。"
        "系统管理员新增账号、重置密码，安全管理员授予和撤销角色（三员分立）。"
    ),
    "person_create": "填写工号和姓名创建账号。新账号没有角色，需由安全管理员授予。",
    "person_detail": "查看一个账号的信息和角色。按您的职责修改账号、重置密码或授予、撤销角色。",
    "password_reset_list": "这里是待审批的密码重置申请。核实申请人身份后批准或驳回。",
    "secretary_accounts": "为尚无账号的党支部书记批量创建账号，并下载初始密码表和授权清单。",
    "secretary_accounts_done": (
        "账号已创建。请下载初始密码表，安全地交给各位书记，并提醒他们首次登录后修改密码。"
    ),
    "second_factor_people": (
        "查看各特权账号的动态验证码绑定情况。手机丢失时可为其重置，重置后须重新绑定。"
    ),
    "audit_list": (
        "审计记录列出系统中的每一次新增、修改、删除和登录。可按时间、操作人和对象筛选并导出。"
    ),
    "member_list": "党员名册列出本支部的党员。可按姓名、党小组或电话查找，也可导出或按模板导入。",
    "member_create": "填写党员的姓名、类别、党小组等信息后保存。",
    "member_edit": "修改党员信息后保存；党员离开本支部时填写离开日期。",
    "member_import": "按模板填写党员名册后上传，先预览检查，无误后再导入。",
    # -- rubrics
    "rubric_list": "列出各套考评标准及其版本。已发布的版本不再修改，要调整请复制为新版本。",
    "rubric_version": (
        "查看一个考评标准版本的全部指标、分值和评分规则。草稿版本可以修改，发布后即固定。"
    ),
    "rubric_import": "用 Excel 修改草稿版本的指标：上传后先预览检查，确认后才生效。",
    "rubric_slots": "为个性指标填写本企业的具体内容，填好后才能用于考评。",
    "rubric_diff": "对比同一考评标准两个版本之间的差异：新增、删除和修改的指标。",
    # -- campaigns and sheets
    "campaign_list": (
        "列出您管辖范围内的考评活动；考评员看到本人参与打分的考评活动。点击活动查看其阶段和日期。"
    ),
    "campaign_create": (
        "选择考评标准版本、考评范围和模板，填写名称后创建考评活动。创建后再设置各阶段和评分人。"
    ),
    "campaign_detail": (
        "考评活动的总览：各阶段、时限，以及您本人在其中的考评表；党群工作部和领导在此查看进度和结果。"
    ),
    "campaign_progress": "查看每个阶段各组织考评表的填写和审核进度，可对未完成的催办。",
    "stage_assign": "为本阶段的被考评组织分配评分人，保存后评分人会在首页看到待办。",
    "stage_assign_matrix": "在矩阵中一次为多个组织勾选评分人，保存即生效。",
    "stage_self_filler": "指定自查表由谁填写：默认是支部书记，书记空缺时可另行指定。",
    "stage_create": "填写阶段名称、类型和起止日期后保存。",
    "stage_edit": "修改阶段的名称或起止日期后保存。",
    "draw_detail": "本页记录一次随机抽取的结果和依据，抽取结果不能更改。",
    "sheet_detail": (
        "逐项填写得分和说明，系统自动保存并实时计算。填完后提交；已签发的考评表只能查看。"
    ),
    "branch_measures": "为本支部在本次考评中的各项问题一次填写整改措施、责任人和时限，然后保存。",
    # -- results
    "campaign_results": "查看本次考评各组织的最终结果、等次和排名，可导出 Excel 或生成汇总报告。",
    "campaign_consequences": "列出按考评结果应当落实的后续措施（如谈话提醒），请逐项登记落实情况。",
    "branch_history": "查看本组织历年各次考评的结果，便于对比变化。",
    "rectification_list": (
        "一支部一清单：各来源的整改问题都在这里。"
        "可按来源、状态筛选，点击问题填写措施、上传佐证或销号。"
    ),
    "rectification_detail": (
        "查看一个整改问题的详情和处理经过。支部书记填写措施并提交，审核人核实后销号或退回。"
    ),
    "branch_ledger": (
        "问题台账按问题清单、责任清单、整改清单列出本支部的全部问题。可手工登记新发现的问题。"
    ),
    "ledger_add": "填写问题、整改措施、责任人和时限，登记到本支部的问题台账。",
    "branch_screen": "为本支部做年度“过筛子”分类，并说明依据。",
    "screening_overview": "查看各支部本年度“过筛子”的分类结果，以及尚未筛查的支部。",
    "report_job": "报告在后台生成，完成后在此下载。",
    # -- organizational life
    "meeting_overview": "查看各支部“三会一课”等组织生活的记录情况，找出缺漏。",
    "meeting_calendar": (
        "本支部组织生活的落实情况：已登记的会议和尚缺的会议。可登记新的会议记录或按模板导入。"
    ),
    "meeting_new": "登记一次会议：填写类型、日期、主题和参加人数，可上传记录附件。",
    "meeting_import": "按模板填写会议记录后上传，先预览检查，无误后再导入。",
    "meeting_detail": "查看一次会议的记录和附件。考评员或党群部核对后记录即锁定。",
    # -- working mechanisms
    "mechanisms_home": (
        "工作机制汇总了结对帮扶、互查、约谈、党员岗位和亮牌等日常工作，从这里进入各项。"
    ),
    "pairing_list": "列出结对帮扶关系。点击查看帮扶方案、进展和季度成效。",
    "pairing_create": "选择帮扶方和被帮扶支部、填写责任书内容后建立结对关系。",
    "pairing_detail": "查看一项结对帮扶的方案、进展记录和季度成效，并按您的职责记录进展。",
    "inspection_list": "列出互查任务。点击进入查看检查组、评分和发现的问题。",
    "inspection_create": "安排一次互查：选择被检查支部和检查人员后保存。",
    "inspection_detail": "按听汇报、查资料、看现场、访党员的顺序检查，填写评分和问题，然后提交。",
    "interview_list": "约谈记录：按规定应当约谈的书记及其约谈情况，可导出 Excel。",
    "interview_record": "登记一次约谈的时间、内容和结果。",
    "post_list": "本支部本季度的党员岗位责任清单：设岗、认领，公布后党员按岗履职。",
    "duty_board": "党员履职公示栏：本支部党员本月的岗位履职情况。",
    "duty_score": "为党员本月的岗位履职评分后保存。",
    "plaque_board": "亮牌看板按季度显示各支部的亮牌结果。",
    "person_record": "按年度列出结对提升责任书的结果挂钩和季度亮牌对本人年度考核的影响。",
    "points_ledger": "党员积分台账：本支部党员本年度的积分明细。",
    # -- documents and guide
    "document_register": "发文登记簿列出系统签发的每份报告及其文号，文号不重复使用。可筛选和导出。",
    "help": "使用指南按您的角色整理了日常工作的步骤。也可以切换查看其他角色的说明。",
}
