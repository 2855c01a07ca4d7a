"""Word lists the story reader uses: stop words, weak words, aliases, places, kinds of event.

Plain data, kept apart from the code in evidence.py that reads it. Tables are whitespace-separated
"alias=name" pairs (an underscore stands for a space); event lines are "kind: word word ...".
"""

from __future__ import annotations

PREFIX = 5  # English words are cut to 5 letters: raises/raised/raising, centre/centres match

_STOP_WORDS = """a an the and or but of to in on at by for with from as is are was were be been being
    it its this
    that these those has have had will would can could may might should do does did not no than then so
    such into over after before about up down out off more most new also says said say per via amid who
    what which when where why how all any each other their there they them he she his her we our you
    your i just like one two three year years week month day today yesterday latest get gets got while
    now still even only very much many since until under between against through during"""
STOP = frozenset(_STOP_WORDS.split())
# Words common in tech news: kept, but weigh little (a shared "startup" is not a shared event).
_WEAK_WORDS = """company companies startup start firm group business market report reports reported according
    raise raises raised raising round funding fund investor investors investment invest billion million
    valuation series deal share shares stock price percent tech technology technologies ai chip chips news
    plan plans launch launches launched announce announced announces ceo chief executive us china india japan
    korea south asia global world make makes made set sets take takes big top first record quarter quarterly
    profit revenue sales"""
WEAK = frozenset(w[:PREFIX] for w in _WEAK_WORDS.split())
WEAK_FACTOR = 0.3
# Capitalised words that name no company or product: a sentence start, a month, a title, a place type.
_NOT_NAME_WORDS = """a an the and or but of to in on at by for with from as is it its this that these those
    has have gen
    after before about over how why what who when where new more most ceo cfo chief executive ai ipo us
    uk eu q1 q2 q3 q4 h1 h2 fy jan feb mar apr jun jul aug sep sept oct nov dec january february march
    april may june july august september october november december monday tuesday wednesday thursday
    friday saturday sunday none updated update exclusive breaking analysis opinion explainer live watch
    read more i inc ltd co corp group holdings bank city state government ministry minister president
    prime north east west central national global world asia asian chinese japanese korean indian
    taiwanese vietnamese indonesian singaporean malaysian thai filipino american european introducing
    announcing meet inside here there review preview podcast interview recap video photos report"""
NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
# Aliases folded to one name. Latin phrases are matched on lower-cased text; CJK ones anywhere in a run.
# A general gazetteer of Asian tech companies and places, not a list of the labelled pairs.
ALIAS_TABLE = """
hon_hai=foxconn 鴻海=foxconn 鸿海=foxconn 富士康=foxconn sk_hynix=hynix 하이닉스=hynix sk_telecom=skt
sk텔레콤=skt tata_consultancy_services=tcs mitsubishi_ufj=mufg 三菱ufj=mufg sumitomo_mitsui=smbc 三井住友=smbc
contemporary_amperex=catl 宁德时代=catl 寧德時代=catl changxin_memory=cxmt changxin=cxmt 长鑫=cxmt
yangtze_memory=ymtc 长江存储=ymtc monetary_authority_of_singapore=mas reserve_bank_of_india=rbi
kaspi.kz=kaspi one_97_communications=paytm jd.com=jd 京东=jd 京東=jd samsung_electronics=samsung
digital_services_act=dsa digital_markets_act=dma
삼성=samsung 三星=samsung 小米=xiaomi 华为=huawei 華為=huawei 阿里巴巴=alibaba 阿里=alibaba 腾讯=tencent
騰訊=tencent 百度=baidu 字节跳动=bytedance 字節跳動=bytedance 抖音=douyin 快手=kuaishou 可灵=kling
比亚迪=byd 比亞迪=byd 美团=meituan 美團=meituan 拼多多=pinduoduo 中芯=smic 台积电=tsmc 台積電=tsmc
联发科=mediatek 聯發科=mediatek 联电=umc 聯電=umc 广达=quanta 廣達=quanta 英伟达=nvidia 英偉達=nvidia
华硕=asus 華碩=asus 宏碁=acer 技嘉=gigabyte 微星=msi
輝達=nvidia 엔비디아=nvidia エヌビディア=nvidia 特斯拉=tesla 테슬라=tesla テスラ=tesla 苹果=apple 蘋果=apple
애플=apple アップル=apple 谷歌=google 구글=google グーグル=google 微软=microsoft 微軟=microsoft
亚马逊=amazon 아마존=amazon アマゾン=amazon 宇树=unitree 蓝箭=landspace 深度求索=deepseek 智谱=zhipu
月之暗面=moonshot 蔚来=nio 小鹏=xpeng 理想汽车=li 吉利=geely 夸克=quark 通义=qwen 千问=qwen 蚂蚁=ant
支付宝=alipay 联想=lenovo 聯想=lenovo 大疆=dji 荣耀=honor 任天堂=nintendo ソニー=sony 索尼=sony
ソフトバンク=softbank 软银=softbank 軟銀=softbank トヨタ=toyota 丰田=toyota ホンダ=honda 本田=honda
日産=nissan 日产=nissan パナソニック=panasonic 楽天=rakuten ラピダス=rapidus キオクシア=kioxia
東芝=toshiba 日立=hitachi サカナ=sakana オープンai=openai 오픈ai=openai 스위치=switch スイッチ=switch
현대차=hyundai 현대자동차=hyundai 현대=hyundai 기아=kia 네이버=naver 카카오=kakao 쿠팡=coupang
카카오톡=kakaotalk 두나무=dunamu 업비트=upbit 토스=toss 크래프톤=krafton 리벨리온=rebellions 퓨리오사=furiosa
한화=hanwha 누리호=nuri 스타링크=starlink 星链=starlink 星鏈=starlink スターリンク=starlink
"""
# Places: a shared one is a name; two items naming only different ones are about different places.
PLACE_TABLE = """
china=china chinese=china 中国=china 中國=china 중국=china beijing=china shanghai=shanghai 上海=shanghai
shenzhen=china hangzhou=china hong_kong=hongkong hongkong=hongkong srilanka=srilanka
香港=hongkong 홍콩=hongkong japan=japan japanese=japan
日本=japan 일본=japan tokyo=japan kumamoto=kumamoto 熊本=kumamoto hokkaido=hokkaido 北海道=hokkaido
korea=korea korean=korea south_korea=korea south_korean=korea 한국=korea 韩国=korea 韓国=korea seoul=korea
서울=korea yongin=yongin 용인=yongin
pyeongtaek=pyeongtaek 평택=pyeongtaek india=india indian=india 인도=india インド=india 印度=india
mumbai=india bengaluru=bengaluru bangalore=bengaluru gujarat=gujarat hyderabad=hyderabad
taiwan=taiwan taiwanese=taiwan 台湾=taiwan 台灣=taiwan 대만=taiwan 台湾=taiwan taipei=taiwan
singapore=singapore singaporean=singapore 新加坡=singapore 싱가포르=singapore シンガポール=singapore
malaysia=malaysia malaysian=malaysia 马来西亚=malaysia johor=johor penang=penang indonesia=indonesia
indonesian=indonesia 印尼=indonesia jakarta=indonesia batam=batam vietnam=vietnam vietnamese=vietnam
越南=vietnam 베트남=vietnam thailand=thailand thai=thailand 泰国=thailand philippines=philippines
manila=philippines pakistan=pakistan bangladesh=bangladesh sri_lanka=srilanka nepal=nepal
kazakhstan=kazakhstan kazakh=kazakhstan uzbekistan=uzbekistan hungary=hungary europe=europe germany=germany
united_states=us american=us 미국=us 美国=us 美國=us 米国=us texas=texas 텍사스=texas テキサス=texas
silicon_valley=us wall_street=us new_york=us us=us
new_delhi=india delhi=india andhra_pradesh=india visakhapatnam=india keelung=taiwan hsinchu=taiwan
kaohsiung=taiwan inner_mongolia=china
arizona=arizona austin=austin nasdaq=nasdaq 纳斯达克=nasdaq 나스닥=nasdaq nyse=nyse
"""

# What kind of event an item reports, from its words (cut to PREFIX letters) and CJK terms. Two items about
# one company but different kinds of event (a listing, a quarter's results) are different stories.
EVENT_TABLE = """
listing: ipo debut listing listed nasdaq 上市 上場 상장 공모 招股
results: profit revenue earnings results income quarter quarterly 净利润 营收 利益 決算 영업이익 실적
results: 매출
jobs: jobs job layoffs lay lays staff workforce employees 裁员 削減 감원 구조조정
funding: raises raised round series funding valuation 融资 調達 유치
deal: buy buys sells acquire acquisition takeover stake merger merge swap tie 收购 買収 인수 합병 统合 統合
deal: 주식교환
hack: hack hacked hacker cyberattack ransomware attack theft stolen leak leaked 黑客 해킹 유출 攻撃
rules: fine fined penalty ban bans bars rule rules law licence license permit curbs regulator 罚款 과징금
rules: 禁止 規制
launch: launches launched releases release phone glasses prototype 发布 發布 公開 출시 开售 開售
launch: 試作 시제품 原型机
plant: plant fab factory ground 工厂 工場 공장 晶圓廠 動工
sales: sells shipments units 销量 販売 출하
"""
