"""Providers come from the contract text; the manifest only overrides or adds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.corpus import Corpus, build_corpus
from index.provider_manifest import ManifestError, load_manifest
from index.providers import UNIDENTIFIED, detect_provider

EXPECTED = {
    "000_9e585a3fd0b47425.txt": ("软通云商城", "北京通力互联技术服务有限公司", {"软通动力"}),
    "001_d0ab719c5a823c3c.txt": ("讯众云通信", "北京讯众通信技术股份有限公司", {"讯众", "云通讯"}),
    "002_111862d00bf5977e.txt": ("码尚云", "上海码昶信息技术咨询中心", set()),
    "003_f9bd3b27cea2d084.txt": ("京东云-微电云", "京东云计算有限公司", {"京东云", "微电云"}),
    "004_ff0b5367f7bd4376.txt": ("西部数码", "成都西维数码科技有限公司", set()),
}


@pytest.mark.parametrize("doc_id", sorted(EXPECTED))
def test_bundled_providers_with_the_bundled_manifest(bundled: Corpus, doc_id: str) -> None:
    name, entity, aliases = EXPECTED[doc_id]
    provider = bundled.providers[doc_id]
    assert (provider.name, provider.entity) == (name, entity)
    assert aliases <= set(provider.aliases)
    assert all(c.provider == name for c in bundled.segmentations[doc_id].clauses)


@pytest.mark.parametrize("doc_id", sorted(EXPECTED))
def test_bundled_providers_from_the_text_alone(bundled: Corpus, doc_id: str) -> None:
    name, entity, aliases = EXPECTED[doc_id]
    provider = detect_provider(bundled.documents[doc_id].text)  # no manifest
    assert (provider.name, provider.entity) == (name, entity)
    assert aliases - {"云通讯"} <= set(provider.aliases)  # 云通讯 is the one alias the manifest adds


NEW_CONTRACTS = {
    # a defined term after the entity
    "星河.txt": (
        "星河云服务协议\n本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您订立的协议。\n"
        "一、 数据\n1. 星河云将保留您的数据 90 日。\n2. 星河云按月收费。\n",
        ("星河云", "杭州星河数据科技有限公司"),
    ),
    # no defined term: the brand is the repeated part of the opening subject
    "蓝海.txt": (
        "蓝海科技蓝海云主机是由深圳蓝海网络技术有限公司向用户提供的云服务。\n一、 服务\n"
        "1. 蓝海云主机提供计算服务。\n2. 蓝海云主机按小时计费。\n3. 蓝海云主机支持备份。\n",
        ("蓝海云主机", "深圳蓝海网络技术有限公司"),
    ),
    # the provider is 乙方 in a form; its name comes from the title
    "青松.txt": (
        "青松云服务合同\n甲方：\n乙方：南京青松信息技术股份有限公司\n第一条 乙方提供云存储服务。\n"
        "第二条 甲方按年付费。\n",
        ("青松云", "南京青松信息技术股份有限公司"),
    ),
}


def test_a_new_contract_without_a_manifest_entry_gets_a_provider(write_contract: Callable[..., Path]) -> None:
    for name, (text, _) in NEW_CONTRACTS.items():
        folder = write_contract(name, text).parent
    corpus = build_corpus(folder)
    for name, (_, (display, entity)) in NEW_CONTRACTS.items():
        assert (corpus.providers[name].name, corpus.providers[name].entity) == (display, entity)


def test_manifest_overrides_the_name_and_adds_aliases(write_contract: Callable[..., Path]) -> None:
    text, _ = NEW_CONTRACTS["星河.txt"]
    folder = write_contract("星河.txt", text).parent
    (folder / "providers.toml").write_text(
        '["星河.txt"]\nname = "星河"\naliases = ["Galaxy Cloud", "星河数据"]\n', encoding="utf-8"
    )
    provider = build_corpus(folder).providers["星河.txt"]
    assert provider.name == "星河"
    assert provider.entity == "杭州星河数据科技有限公司"
    assert {"Galaxy Cloud", "星河数据", "星河云"} <= set(provider.aliases)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[broken", "providers.toml: not valid TOML"),
        ('["a.txt"]\nnickname = "x"\n', r"providers.toml: \[a.txt\] has unknown field\(s\) \['nickname'\]"),
        ('["a.txt"]\naliases = "x"\n', r"providers.toml: \[a.txt\] aliases must be a list"),
        ('["a.txt"]\nname = ""\n', r"providers.toml: \[a.txt\] name must be a non-empty string"),
        ('"a.txt" = 3\n', r"providers.toml: \[a.txt\] must be a table"),
    ],
)
def test_a_malformed_manifest_names_the_file_and_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "providers.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError, match=message):
        load_manifest(path)


def test_a_malformed_manifest_is_reported_and_the_contracts_still_load(
    write_contract: Callable[..., Path],
) -> None:
    text, _ = NEW_CONTRACTS["星河.txt"]
    folder = write_contract("星河.txt", text).parent
    (folder / "providers.toml").write_text("[broken", encoding="utf-8")
    corpus = build_corpus(folder)
    assert corpus.providers["星河.txt"].name == "星河云"
    assert len(corpus.errors) == 1
    assert str(corpus.errors[0]).startswith("providers.toml: not valid TOML")


PARTY_CASES = [
    # (contract text, expected name, expected entity, aliases that must be found)
    (
        "提示条款\n本服务条款是星云网站所有者（本协议中称为“星云”网址：www.xingyun.example ）"
        "与您订立的合约。\n1. 星云应按约提供服务。\n",
        "星云",
        None,
        set(),
    ),
    (
        "**本协议是辰星云与您，就您使用辰星云服务（以下简称“账号”）签订的合同。**\n"
        "## 第一条 通则\n1.1 辰星云提供服务。\n",
        "辰星云",
        None,
        set(),
    ),
    (
        "为使用北斗邮箱服务（以下简称为：“本服务”），您应当阅读本协议。本协议在您与北斗云计算（上海）有限责任公司"
        "（以下简称“北斗云”）之间产生法律效力。\n## 1. 定义\n1.1 北斗云提供邮箱。\n",
        "北斗邮箱",  # the service carries the brand; users ask about it by its own name
        "北斗云计算（上海）有限责任公司",
        {"北斗云"},
    ),
    (
        "感谢您使用本网站，本服务协议是远航科技（深圳）有限公司（以下简称为“远航科技”），向用户（下称为“您”）"
        "提供的SkyOps运维平台系统（以下简称“本网站”）的服务。\n1 、总则\n1.1 您确认已阅读。\n",
        "远航科技",
        "远航科技（深圳）有限公司",
        {"SkyOps"},
    ),
    (
        "# 服务条款\n## 公司信息\nNimbus 服务由 **Nimbus Inc.** 运营。部分功能由第三方服务商运营。\n"
        "## 一、 总则\n1. 我们提供服务。\n",
        "Nimbus",
        "Nimbus Inc.",
        set(),
    ),
]


@pytest.mark.parametrize(("text", "name", "entity", "aliases"), PARTY_CASES)
def test_the_provider_is_the_party_the_contract_binds(
    text: str, name: str, entity: str | None, aliases: set[str]
) -> None:
    """Prompts (提示), account words (账号), the user (您) and third parties are never the provider; the
    party on the other side of 您 is, with its entity in full (region included) and its product names."""
    provider = detect_provider(text)
    assert (provider.name, provider.entity) == (name, entity)
    assert aliases <= set(provider.aliases)
    assert not {"提示", "账号", "您", "第三方服务商"} & set(provider.names)


def test_aliases_users_say_are_derived_from_the_text_and_the_brand_table() -> None:
    text = "\n".join(
        [
            "远航科技网站服务协议",
            "本服务协议是远航科技（深圳）有限公司（以下简称为“远航科技”）与您订立的协议。",
            "网址：www.yuanhang.com 。为使用远航科技星图存储服务（以下简称“本服务”），您应当阅读本协议。",
            "1、总则",
            "1.1 远航科技提供服务，结算规则会通过远航文档中心发布。",
        ]
    )
    provider = detect_provider(text)
    assert (provider.name, provider.entity) == ("远航科技", "远航科技（深圳）有限公司")
    # 远航 (the name without 科技), the product without the brand in front, and the site
    assert {"远航", "星图存储服务", "星图存储", "yuanhang.com"} <= set(provider.aliases)
    assert "远航文档中心" not in provider.names  # 中心 only counts as an entity when it is a party
    tencent = detect_provider(
        "本协议是腾讯云与您，就您使用腾讯云服务的相关事项签订的合同。\n1.1 腾讯云提供服务。\n"
    )
    assert {"Tencent Cloud", "qcloud"} <= set(tencent.aliases)  # index/resources/parties.toml [brands]


def test_every_defined_name_affiliates_products_and_the_site_in_mails_are_aliases() -> None:
    """A definition with several quoted names (in quotes of either direction, joined by 或), an affiliate
    the contract says acts for the provider (never its entity), what 本服务 is said to be (with its Latin
    part and the brand in front as the text writes it), and the provider's site inside an e-mail address."""
    text = "\n".join(
        [
            "星河服务协议",
            "本服务协议是温州星河通讯科技有限公司（包括附属公司如Starriver Communications Limited）"
            "（以下简称”星河”或“Starriver”）就您使用星河服务所签署的服务协议。",
            "1. 总则",
            "1.1 本服务是星河提供的图像识别 VIS 服务，星河图像识别的内容详见官网。",
            "1.2 在中国大陆地区，星河服务由关联主体 杭州星澜科技有限公司 提供本地化支持。",
            "1.3 " + "星河提供服务。" * 20,
            "1.4 如有疑问，请发送邮件至 support@starriver.io 。",
            "1.5 如实例部署于至少2个可用区（以下简称：多区部署），多区部署服务不可用的分钟数另计。",
        ]
    )
    provider = detect_provider(text)
    assert (provider.name, provider.entity) == ("星河", "温州星河通讯科技有限公司")
    assert {
        "Starriver",
        "Starriver Communications Limited",
        "杭州星澜科技有限公司",
        "图像识别",
        "VIS",
        "星河图像识别",
        "starriver.io",
    } <= set(provider.aliases)
    assert "多区部署" not in provider.names  # a term defined in passing, never used as a party that acts
    plain_site = detect_provider(
        "本协议是朗星科技有限公司（以下简称“朗星”）与您订立的协议。网址 www.langxingcloud.com\n"
    )
    assert "Langxingcloud" in plain_site.aliases  # the site's name, as a user would type the brand


def test_a_contract_that_never_names_itself_says_why_and_the_manifest_names_it(
    write_contract: Callable[..., Path],
) -> None:
    text = "\n".join(
        [
            "# 服务条款",
            "本条款由 {{entityName}}（“公司”）与您订立，网站为 {{siteDomain}}。",
            "## 1. 定义",
            "1.1 服务。",
            "",
        ]
    )
    provider = detect_provider(text)
    assert provider.name == "未识别的服务商"
    assert "{{entityName}}" in provider.unidentified and "providers.toml" in provider.unidentified
    folder = write_contract("terms.md", text).parent
    (folder / "providers.toml").write_text('["terms.md"]\nname = "星网"\n', encoding="utf-8")
    named = build_corpus(folder).providers["terms.md"]
    assert (named.name, named.unidentified) == ("星网", "")


def test_product_words_inside_a_latin_product_name_are_aliases() -> None:
    text = (
        "云数据库NimbusDB PostgreSQL服务协议\n"
        "本协议是杭州星河数据科技有限公司（以下简称“星河云”）与您就云数据库NimbusDB PostgreSQL"
        "（以下简称“本服务”）订立的协议。\n1. 总则\n1.1 星河云提供服务。\n"
    )
    aliases = set(detect_provider(text).aliases)
    assert {"云数据库NimbusDB", "NimbusDB"} <= aliases  # how users shorten the product
    assert "Serverless" not in aliases


def test_the_service_a_party_provides_is_named_by_what_it_is_called() -> None:
    """为使用X提供的服务（以下简称"本服务"）: the phrase ends in a bare 服务, so X (a product with its Latin
    short name) is the name users ask by, not the word 服务."""
    text = (
        "欢迎您使用云信推送 CXP 提供的服务！\n"
        "为使用云信推送 CXP 提供的服务（以下简称为：“本服务”），您应当阅读并遵守本协议。\n"
        "1. 总则\n1.1 星河有权依照本协议向您提供本服务。星河提供服务。星河提供服务。\n"
    )
    names = set(detect_provider(text).names)
    assert {"云信推送 CXP", "云信推送", "CXP"} <= names
    assert "服务" not in names


def test_a_service_carrying_the_company_brand_is_the_name_users_say() -> None:
    """为使用星河企业盘服务（以下简称“本服务”） under 星河云: users ask about 星河企业盘; 星河云 stays an
    alias. A product named after the provider (星河云对象存储) keeps the provider's name."""
    opening = (
        "为使用{product}服务（以下简称“本服务”），您应当阅读并遵守本协议。本协议即在您与"
        "星河云计算（杭州）有限责任公司（以下简称“星河云”）之间产生法律效力。\n"
        "1. 总则\n1.1 星河云提供服务。\n"
    )
    own = detect_provider(opening.format(product="星河企业盘"))
    assert (own.name, own.entity) == ("星河企业盘", "星河云计算（杭州）有限责任公司")
    assert "星河云" in own.aliases
    named_after = detect_provider(opening.format(product="星河云对象存储"))
    assert named_after.name == "星河云"
    assert "星河云对象存储" in named_after.aliases
    unbranded = detect_provider(opening.format(product="对象存储"))
    assert unbranded.name == "星河云"


def test_an_sla_that_names_its_provider_only_in_its_opening_sentence() -> None:
    """本协议规定了X向客户提供…: X is the provider; the title names a kind of service, not a party."""
    text = (
        "CDN服务等级协议\n本服务等级协议规定了星澜互联向客户提供的CDN服务的可用性等级指标及赔偿方案。\n"
        "1. 定义\n1.1 服务周期：一个自然月。\n2. 服务可用性\n2.1 服务可用性不低于99.9%。\n"
    )
    provider = detect_provider(text)
    assert provider.name == "星澜互联"
    assert not {"CDN服务等级", "CDN", "服务等级"} & set(provider.aliases)


def test_a_latin_brand_in_the_contracting_sentence_and_a_kind_of_service_in_the_title() -> None:
    """本服务协议为Nebulix与“您”（委托方用户）就…订立: Nebulix; 域名 (the title's service) is no alias, it
    would send every question about domains to this provider."""
    text = (
        "## 域名服务协议\n\n感谢您选择Nebulix为您提供域名服务。\n\n"
        "本服务协议为Nebulix与“您”（委托方用户）就“域名服务”的相关事项订立的有效合约。\n\n"
        "第一条 费用\n\n1-1 用户应按Nebulix公布的收费标准缴纳费用。\n\n"
        "1-2 域名注册成功后，所缴纳的费用不可退回。\n"
    )
    provider = detect_provider(text)
    assert provider.name == "Nebulix"
    assert "域名" not in provider.aliases


def test_a_provider_that_defines_only_本公司_is_called_by_the_brand_inside_its_entity() -> None:
    """杭州流光云科技有限公司（以下简称“本公司”）and clauses that say 流光云提供 / 流光云有权: users say
    流光云."""
    text = (
        "服务条款\nlumen.io 服务（以下简称“本服务”）是由杭州流光云科技有限公司（以下简称“本公司”）"
        "向用户提供的云存储服务。本协议由您和本公司签订。\n"
        "1. 服务内容\n1.1 您有权享受流光云提供的云存储服务。\n1.2 流光云有权在您欠费时暂停服务。\n"
        "1.3 流光云将在服务到期前7日通知您续费。\n1.4 流光云应当保护您的数据安全。\n"
    )
    provider = detect_provider(text)
    assert (provider.name, provider.entity) == ("流光云", "杭州流光云科技有限公司")
    assert "lumen.io" in provider.aliases and not {"io", "com"} & set(provider.aliases)


def test_a_template_that_keeps_its_placeholders_names_no_provider() -> None:
    """{{ site.title }}互联网科技有限公司 is a template's blank, not a company: unidentified, and the reason
    lists the placeholders; no alias holds a part of one."""
    text = (
        "<h2>服务协议</h2>\n<p>本协议是{{ site.title }}互联网科技有限公司（以下简称“本公司”）"
        "与您就云服务订立的协议。</p>\n"
        "<p>1. 总则</p>\n<p>1.1 {{ site.title }}有权根据业务调整服务内容。</p>\n"
        "<p>1.2 您应按{{ site.title }}公布的价格支付费用。</p>\n"
    )
    provider = detect_provider(text)
    assert provider.name == UNIDENTIFIED and provider.entity is None
    assert "{{ site.title }}" in provider.unidentified
    assert not [a for a in provider.aliases if "{" in a or "}" in a or "site" in a]


def test_a_latin_name_that_opens_the_clauses_names_a_provider_the_text_never_defines() -> None:
    """No entity, no definition, no contracting sentence: the name the clauses open with as the one who
    acts (Orbix将… / Orbix承诺…) is how the contract refers to the provider."""
    text = "对象存储服务说明\n" + "".join(
        f"{n}. Orbix{duty}用户数据的安全与可用。\n"
        for n, duty in enumerate(("将保障", "承诺保障", "有权检查", "应当维护", "将持续改进"), start=1)
    )
    assert detect_provider(text).name == "Orbix"


def test_an_sla_that_only_acts_under_its_brand_and_names_its_service_in_english() -> None:
    """No entity, no definition, no contracting sentence, a title that names a kind of document: the brand
    the clauses act under (星澜蜂巢将… / 星澜蜂巢有权…) is the name, and the service written with its English
    name and abbreviation gives both as aliases; 则公司 (a conjunction and 公司) is never a name."""
    text = (
        "# 服务等级协议\n\n"
        "星澜云对象存储服务（Starlan Object Storage Service，SOS）为用户提供大容量的云存储服务。\n\n"
        "用户服务期满后需要销毁数据的，星澜蜂巢将自动清除对应服务器上的数据。\n\n"
        "因故障导致服务不可用的，星澜蜂巢将对不可用时间进行赔偿，则公司将按月结算。\n\n"
        "1.星澜蜂巢有权根据变化适时对本协议部分服务指标作出调整。\n"
    )
    provider = detect_provider(text)
    assert provider.name == "星澜蜂巢"
    assert {"SOS", "Starlan Object Storage Service", "星澜云对象存储服务"} <= set(provider.aliases)


def test_a_document_that_names_itself_gives_its_latin_product_name() -> None:
    """Nebulix ZS3服务等级协议（以下简称“本协议”）: ZS3 is what users call the service (and singles this
    document out among the provider's several)."""
    text = (
        "Nebulix ZS3服务等级协议（以下简称“本协议”）规定了Nebulix向客户提供ZS3对象存储服务的服务等级指标。\n"
        "1. 服务可用性\n1.1 Nebulix承诺ZS3的服务可用性不低于99.9%。\n"
    )
    provider = detect_provider(text)
    assert provider.name == "Nebulix" and "ZS3" in provider.aliases


def test_words_before_a_company_name_are_not_part_of_it() -> None:
    """感谢您选择X / 服务的提供方X: the greeting and the role end before the name; a definition written
    with entities (&#8220;您&#8221;) names the user, not a provider; the short name the clauses act under
    (清河网络有权…) is the name, and the company's product written after it (X的Relaybox…) an alias."""
    greeting = (
        "<P><STRONG>感谢您选择江东清河网络科技有限公司的Relaybox在线客服系统。</STRONG></P>\n"
        "<P>1.1 清河网络有权修改本条款。</P>\n<P>1.2 清河网络将在收到款项后开通服务。</P>\n"
        "<P>1.3 清河网络应当依法保护客户资料。</P>\n"
    )
    provider = detect_provider(greeting)
    assert (provider.name, provider.entity) == ("清河网络", "江东清河网络科技有限公司")
    assert "Relaybox" in provider.aliases
    role = (
        "<h1>星岚云 用户服务条款</h1>\n<p>本服务条款星岚云服务的提供方星岚科技有限公司（以下简称星岚云），"
        "与用户（以下简称&#8220;您&#8221;）之间就所使用的云服务所签订。</p>\n<p>1. 星岚云有权暂停服务。</p>\n"
    )
    provider = detect_provider(role)
    assert (provider.name, provider.entity) == ("星岚云", "星岚科技有限公司")
    assert not [a for a in provider.aliases if "&" in a or "#" in a]


def test_a_latin_brand_before_the_entity_or_a_site_name_said_alone_names_the_provider() -> None:
    """Orbit Pay云支付运营科技（中国）有限公司 and clauses under Orbit Pay: users say Orbit Pay. A page that
    names no party but its site (quillcloud.com) and says Quillcloud in its clauses: Quillcloud."""
    latin = (
        "Orbit Pay用户协议\n本协议是用户与Orbit Pay云支付运营科技（中国）有限公司之间的法律契约。\n"
        "1. Orbit Pay有权随时停止服务。\n2. Orbit Pay将按月出具账单。\n"
    )
    provider = detect_provider(latin)
    assert (provider.name, provider.entity) == ("Orbit Pay", "云支付运营科技（中国）有限公司")
    site = (
        "# 计费说明\n\n联系我们：[info@quillcloud.com](mailto:info@quillcloud.com)\n\n"
        "- Quillcloud 云服务使用保证金机制。\n- 余额不足时 Quillcloud 云服务会通过邮件通知。\n"
        "- 退回保证金请联系 Quillcloud 客服。\n"
    )
    assert detect_provider(site).name == "Quillcloud"


def test_a_company_group_a_greeting_and_a_tied_latin_brand_name_the_provider() -> None:
    """（以下统称“X”） after a company and its affiliates defines the provider's name, while a group of
    things （以下统称“优惠措施”） does not; 欢迎您使用 / 运营者 end before the company's name; a Latin brand
    tied to the entity (Corvex：隶属…有限公司所有) and acting is the name users say."""
    group = (
        "《Nimbra平台开发者协议》\n本平台的所有者和运营者上海澄岚网络科技有限公司及其关联公司（以下统称“Nimbra”）"
        "有权驳回应用。\n1.1 Nimbra会审核应用。\n1.2 平台推出赠送服务等优惠措施（以下统称“优惠措施”）。\n"
        "1.3 Nimbra有权下线产品。\n"
    )
    provider = detect_provider(group)
    assert (provider.name, provider.entity) == ("Nimbra", "上海澄岚网络科技有限公司")
    assert "优惠措施" not in provider.aliases
    greeting = (
        "欢迎您使用北京云溪数据科技有限公司提供的云溪通讯服务（以下简称：云溪），请仔细阅读。\n"
        "1. 云溪有权暂停服务。\n2. 云溪将按月出具账单。\n"
    )
    assert detect_provider(greeting).entity == "北京云溪数据科技有限公司"
    tied = (
        "# 服务协议\n1. Corvex：隶属桃叶（深圳）科技有限公司所有。\n"
        "2. Corvex有权审核模块。\n3. Corvex将按月结算。\n4. Corvex不承担连带责任。\n"
    )
    provider = detect_provider(tied)
    assert (provider.name, provider.entity) == ("Corvex", "桃叶（深圳）科技有限公司")


def test_a_contract_no_text_names_is_named_by_its_file_name() -> None:
    """A plan page that names no party (a template's {{appName}}) takes the brand of its file name, as the
    text writes it when it does; a file name of numbers and document words names no one."""
    page = "# 云引擎运行方案\n\n应用 {{appName}} 的体验实例每天最多运行 18 个小时。\n标准实例按天扣费。\n"
    assert detect_provider(page).name == UNIDENTIFIED
    named = detect_provider(page, doc_id="driftbase_engine_plan.md")
    assert named.name == "driftbase" and "file name" in named.unidentified
    spelled = detect_provider(page + "联系 DriftBase 客服。\n", doc_id="driftbase_engine_plan.md")
    assert spelled.name == "DriftBase"
    assert detect_provider(page, doc_id="003_f9bd3b27_terms_of_service.md").name == UNIDENTIFIED
    assert detect_provider(page, doc_id="溪谷云服务协议.txt").name == "溪谷云"


def test_the_party_sentence_names_the_provider_after_a_date_line_or_across_markup_lines() -> None:
    """An opening sentence after a date line says whose the contract is (星轨GPT 服务协议是您与… →
    星轨GPT, the company its entity); 是您（…）与 X 平台运营团队（…）之间 names X even when markup breaks
    its lines; a title of 产品及服务协议 names the brand before it."""
    dated = (
        "---\ntitle: '服务协议'\n---\n\n最后更新时间：2024年3月3日\n\n"
        "星轨GPT 服务协议是您与珠海星轨云计算有限公司（以下简称“我们”）之间就星轨GPT云服务订立的协议。\n"
        "第1条 服务内容\n1. 我们将向您提供存储服务。\n2. 我们保证每月服务可用性不低于99%。\n"
    )
    provider = detect_provider(dated)
    assert (provider.name, provider.entity) == ("星轨GPT", "珠海星轨云计算有限公司")
    jsx = (
        "<p>\n  <strong>1.1 缔约主体：</strong>\n"
        "  本《服务协议》（以下简称“本协议”）是您（以下亦称“社区用户”）与\n"
        "  NOVA LINK Credit\n  平台运营团队（以下简称“平台”、“我们”）之间关于使用平台服务所订立的契约。\n"
        "</p>\n"
        "<p>1.2 平台有权调整服务。</p>\n"
    )
    assert detect_provider(jsx).name == "NOVA LINK Credit"
    titled = (
        "《青穹产品及服务协议》是青穹计算有限公司与您订立的有效合约。\n"
        "1. 青穹有权暂停服务。\n2. 青穹有权收费。\n"
    )
    assert detect_provider(titled).name == "青穹"


def test_short_forms_latin_words_and_sites_are_aliases_only_where_users_would_say_them() -> None:
    """云帆互联 is said 云帆 (互联 ends company names, data); the words of a Latin product name (Orbit Gate)
    are not names on their own, nor its first letters; a site the text links further on belongs to someone
    else unless the text calls it the provider's 官网."""
    text = (
        "# 云帆互联 CDN 服务等级协议\n本协议规定了云帆互联向客户提供的CDN服务的可用性。\n"
        "1. 云帆互联承诺可用性不低于99.9%。\n2. 云帆互联按月结算。\n3. 云帆互联有权调整指标。\n"
    )
    assert "云帆" in detect_provider(text).aliases
    latin = (
        "1.1 本协议是您与OrbitGate（以下简称“我们”）之间关于使用 Orbit Gate 服务所订立的协议。\n"
        "1.2 本协议适用于用户访问和使用 Orbit Gate 服务（以下简称“本服务”）。\n"
        + "1.3 我们按实际用量计费，按月出具账单。\n"
        * 120
        + "1.4 上游模型的使用政策：https://modelvendor.com/policies\n"
        "1.5 如有变更，将在OrbitGate官网 www.orbitgateway.com 公告。\n"
    )
    provider = detect_provider(latin)
    assert provider.name == "OrbitGate"
    assert "Orbit Gate" in provider.aliases
    assert not {"Orbit", "Gate", "Or", "modelvendor.com"} & set(provider.aliases)
    assert "www.orbitgateway.com" in provider.aliases


def test_template_pages_name_their_brand_not_their_markup_or_kind_of_service() -> None:
    """A definition whose quotes hold a tag names the words inside it; 由X开发并运营 names X; 均归属于
    ends before the company; a title of a kind of service (订阅服务协议) names no one, so the file name
    does, as the text spells it (darkcomico → Dark Comico); 欢朋直播充值服务协议 names 欢朋直播; the name
    as the text mostly writes it with digits after it (集客365) is an alias."""
    tagged = (
        '<p>1.1 本平台是由成都一扇门科技有限公司（以下简称“<span class="scayt-misspell-word" '
        'data-scayt-word="一门网络">一门网络</span>”）提供，并由一门网络开发并运营的网络平台。</p>\n'
        "<p>1.2 一门网络有权调整服务。</p>\n<p>1.3 一门网络将按月结算。</p>\n"
    )
    provider = detect_provider(tagged)
    assert provider.name == "一门网络" and not any("<" in a or "开发" in a for a in provider.aliases)
    owned = (
        "1. 本平台的所有权和运营权，均归属于云雀（深圳）科技有限公司（以下简称“云雀”）。\n2. 云雀有权收费。\n"
    )
    assert detect_provider(owned).entity == "云雀（深圳）科技有限公司"
    kind = "订阅服务协议\n1. 如您开通VIP服务，VIP将在到期前24小时自动续订。\n2. Dark Comico 不退款。\n"
    assert detect_provider(kind, doc_id="darkcomico_terms.md").name == "Dark Comico"
    page = (
        "<!DOCTYPE html>\n<?php include 'head.php'; ?>\n<title>欢朋直播充值服务协议</title>\n"
        "<p>六间房公司按照本协议提供充值服务。</p>\n<p>1. 六间房公司有权调整价格。</p>\n"
        "<p>2. 六间房公司不提供退还服务。</p>\n<p>3. 六间房公司有权封号。</p>\n"
    )
    assert detect_provider(page).name == "欢朋直播"
    site = (
        "1. 本网站系统是由苏州优集客网络科技有限公司（以下简称集客）开发。\n"
        "2. 用户应保证提供给集客365的资料真实。\n3. 集客365有权审核。\n4. 集客365不承担责任。\n"
    )
    assert "集客365" in detect_provider(site).aliases
