"""Russian texts, keyed like `en.MESSAGES`; a missing key falls back to English."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # NIC and driver
    "nic.accept": "{dev} ({driver}) принимает кадр: MAC назначения {mac} — его собственный.",
    "nic.down": "{dev} выключен: сетевая карта ничего не принимает.",
    "nic.mac_filter": "{dev} отбрасывает кадр аппаратно: он адресован {mac}, а не этой карте ({own}).",
    "nic.no_such_device": "Устройства {dev} нет.",
    "dma.slot": (
        "Карта сама, через DMA, кладёт кадр длиной {bytes} байт в ячейку {slot} RX-кольца; процессор ничего не "
        "копирует."
    ),
    "dma.ring_full": (
        "Все {size} дескрипторов RX-кольца {dev} заняты: карте некуда записать кадр, и он теряется. sk_buff так и не "
        "появляется, поэтому причины отбрасывания нет: драйвер считает кадр пропущенным (missed в `ip -s link`, "
        "rx_missed_errors или rx_fifo_errors в `ethtool -S` — зависит от драйвера)."
    ),
    "napi.poll": (
        "Карта поднимает одно прерывание; драйвер переходит в режим опроса NAPI и забирает до {budget} кадров за "
        "проход."
    ),
    "dma.slot_burst": (
        "Пачка: кадры идут вплотную друг к другу на 10 Гбит/с. Карта кладёт этот кадр ({bytes} байт) в ячейку "
        "{slot}; теперь {used} из {size} дескрипторов заняты кадрами, до которых NAPI ещё не дошёл. Когда заняты "
        "все, следующий кадр теряется (missed)."
    ),
    "napi.poll_burst": (
        "NAPI опрашивает {dev} порциями по {budget} кадров; net_rx_action() заканчивает раунд после netdev_budget "
        "({netdev_budget}) кадров или netdev_budget_usecs (хватает на {by_time} кадров) и увеличивает time_squeeze; "
        "ждут ещё {waiting} кадров. Упрощение модели: процессор тратит 500 нс на кадр, раунд, прерванный по "
        "бюджету, ждёт ksoftirqd 20 мкс, провод приносит кадр за время его передачи на 10 Гбит/с; каждый кадр "
        "проходит стек сразу, как лёг в кольцо (часы стоят, поэтому исход не меняется)."
    ),
    "xdp.none": "На {dev} нет XDP-программы.",
    "xdp.not_native": (
        "XDP-программа на {dev} работает в generic-режиме — позже, когда sk_buff уже создан и GRO отработал."
    ),
    "xdp.pass": "XDP-программа {prog} ({mode}) возвращает {action}: кадр идёт дальше в стек.",
    "xdp.drop": (
        "XDP-программа {prog} ({mode}) возвращает {action}: драйвер пускает буфер в дело заново, "
        "sk_buff ещё нет — дешевле отбросить нельзя. Раз нет sk_buff, нет ни kfree_skb, ни причины "
        "отбрасывания; такие кадры считают XDP-счётчики драйвера (`ethtool -S {dev}`) и статистика "
        "самой программы."
    ),
    "xdp_generic.pass": (
        "XDP-программа {prog} ({mode}) возвращает {action}, но уже после того, как построен sk_buff и "
        "отработал GRO."
    ),
    "xdp_generic.drop": (
        "XDP-программа {prog} ({mode}) возвращает {action}: кадр отброшен, но sk_buff уже построен "
        "и GRO отработал, так что выигрыш XDP почти потерян. do_xdp_generic() освобождает его "
        "обычным kfree_skb(): причина NOT_SPECIFIED."
    ),
    "xdp.no_generic": "XDP-программы в generic-режиме нет.",
    "xdp.aborted": (
        "XDP-программа {prog} ({mode}) возвращает {action}: кадр отбрасывается, как при XDP_DROP, а ядро вызывает "
        "точку трассировки xdp:xdp_exception — ABORTED означает ошибку в программе; смотрите её через "
        "`perf record -e xdp:xdp_exception`."
    ),
    "xdp.tx": (
        "XDP-программа {prog} ({mode}) возвращает {action}: кадр сразу уходит обратно через {out}, ту же карту, на "
        "которую пришёл, минуя стек, netfilter и qdisc."
    ),
    "xdp.redirect": (
        "XDP-программа {prog} ({mode}) возвращает {action}: xdp_do_redirect() передаёт кадр драйверу {out}, минуя "
        "стек, netfilter и qdisc."
    ),
    "xdp.redirect_err": (
        "XDP-программа {prog} ({mode}) возвращает {action} на {target}, но такого поднятого устройства нет: "
        "перенаправление не удаётся, срабатывает точка трассировки xdp:xdp_redirect_err, и кадр освобождается."
    ),
    "skb.alloc": (
        "Драйвер оборачивает кадр длиной {len} байт в sk_buff с запасом {headroom} байт спереди; затем "
        "eth_type_trans() снимает Ethernet-заголовок."
    ),
    "skb.loopback": "Loopback-устройство сразу возвращает sk_buff на путь приёма (ни карты, ни кольца).",
    "lo.no_hardware": "Loopback: аппаратного этапа нет.",
    "gro.single": "GRO не находит, с чем склеить этот сегмент.",
    "gro.merged": (
        "GRO (napi_gro_receive) склеивает {n} идущих подряд сегментов одного потока в один skb из {len} "
        "байт: стек выше и tcpdump на {dev} видят один большой пакет, а не {n}."
    ),
    "gro.lro": (
        "Карта сама склеила {n} сегментов (LRO, ещё до DMA) в один skb из {len} байт. В отличие от GRO "
        "границы сегментов теряются, поэтому на маршрутизаторе или мосте LRO держат выключенным."
    ),
    "gro.gso_skb": (
        "Отправка в {len} байт прошла целиком: на отправляющем veth включён TSO, её никто не резал, и "
        "GRO нечего склеивать (tcpdump на обоих концах показывает один большой пакет)."
    ),
    "gro.off": (
        "GRO на {dev} выключен (`ethtool -K {dev} gro on` включит): каждый сегмент идёт вверх по стеку отдельно."
    ),
    "gro.sw_csum": (
        "GRO не находит, с чем склеить. На {dev} выключен rx-checksumming, поэтому контрольную сумму "
        "TCP/UDP проверяет здесь процессор, а не карта."
    ),
    "gro.bad_csum": (
        "Контрольная сумма неверна, поэтому пакет не помечен проверенным (CHECKSUM_NONE): GRO его не "
        "склеивает и передаёт выше, где транспорт проверит сумму ещё раз."
    ),
    "offload.tso": (
        "Отправка в {len} байт дошла до {dev} одним skb; tcpdump видит её целиком, а режет на {n} "
        "сегментов не длиннее {mss} байт сама карта (TSO: MSS = MTU - 40), уже после точки захвата."
    ),
    "offload.gso": (
        "На {dev} выключен TSO, поэтому skb в {len} байт режет программно GSO прямо перед драйвером: "
        "{n} сегментов не длиннее {mss} байт (последний {last}); tcpdump видит сегменты."
    ),
    "offload.stack": (
        "{dev} не умеет ни TSO, ни GSO, поэтому TCP сам собрал {n} сегментов не длиннее {mss} байт "
        "(последний {last}): процессору больше работы на каждый байт."
    ),
    "offload.whole": (
        "{dev} — veth с включённым TSO: он передаёт соседу весь skb в {len} байт; на {n} сегментов, как "
        "сделала бы карта, его никто не режет."
    ),
    "csum.bad_hw": (
        "Контрольная сумма {proto} неверна. Карта это увидела (rx-checksumming включён) и не пометила "
        "пакет проверенным; приёмная функция {proto} проверяет сумму ещё раз и отбрасывает пакет до "
        "поиска сокета (счётчик {counter}; ни RST, ни ICMP)."
    ),
    "csum.bad_sw": (
        "Контрольная сумма {proto} неверна: аппаратной проверки нет, процессор проверяет её в приёмной "
        "функции {proto} и отбрасывает пакет до поиска сокета (счётчик {counter}; ни RST, ни ICMP)."
    ),
    "tc.no_ingress_qdisc": "На {dev} нет ingress-qdisc: фильтры tc не проверяются. "
    "tcpdump только что увидел кадр: всё, что netfilter отбросит дальше, в захвате всё равно будет.",
    "ip_rcv.ok": "ip_rcv() проверяет заголовок: версия, длина {len}, контрольная сумма; TTL = {ttl}.",
    "ip_rcv.bad_checksum": "ip_rcv() отбрасывает пакет: неверная контрольная сумма IP-заголовка.",
    # netfilter
    "nf.accept": "Цепочка пропускает пакет ({where}).",
    "nf.drop": "Пакет отброшен ({where}).",
    "nf.reject": "Пакет отклонён ({where}), в ответ уходит {with}.",
    "nf.table_unused": "Таблица {table} ни разу не загружалась: хук не зарегистрирован, проверять нечего.",
    "ct.new": "conntrack: первый пакет нового соединения; запись ждёт подтверждения.",
    "ct.established": "conntrack: пакет принадлежит известному соединению (направление {dir}).",
    "ct.related": "conntrack: ICMP-ошибка об отслеживаемом соединении — RELATED.",
    "ct.invalid": "conntrack: пакет не подходит ни к одному соединению и не может начать новое — INVALID.",
    "ct.not_loaded": (
        "В этом пространстве имён отслеживание соединений не запущено: ни одному правилу оно не нужно (нет правил "
        "state, conntrack или NAT), поэтому ничего не отслеживается."
    ),
    "ct.untracked": "conntrack: не отслеживается.",
    "ct.notrack": "NOTRACK в таблице raw: conntrack пропускает этот пакет (состояние UNTRACKED).",
    "ct.loopback_kept": (
        "Вернувшись через lo, пакет всё ещё несёт свою запись conntrack ({state}): conntrack её не трогает."
    ),
    "ct.attached_related": "Ответ несёт conntrack-запись своей причины: RELATED.",
    "ct.table_full": (
        "nf_conntrack: таблица заполнена ({max} записей), вытеснить нечего: conntrack возвращает NF_DROP (причина "
        "NETFILTER_DROP), учитывает пакет в drop= у `conntrack -S` и пишет в журнал «table full, dropping packet»."
    ),
    "ct.confirm_none": "Подтверждать нечего: conntrack-записи нет.",
    "ct.already_confirmed": "Соединение уже есть в таблице ({state}); подтверждать нечего.",
    "ct.confirmed": "conntrack подтверждает запись; состояние {state}.",
    "nat.bound": "Для первого пакета соединения проверена таблица nat: {mapping} ({where}).",
    "nat.null_binding": "Для первого пакета проверена таблица nat: ни одно NAT-правило не подошло ({where}).",
    "nat.no_chains": (
        "Первый пакет нового соединения, но на этом хуке нет ни одной цепочки nat: conntrack записывает пустую "
        "привязку (без трансляции)."
    ),
    "nat.from_entry": "Это не первый пакет: таблица nat пропускается, пакет переписывает conntrack-запись.",
    "nat.not_first": "Это не первый пакет соединения: таблица nat не проверяется.",
    "nat.related": "Пакет RELATED: транслируется по NAT-записи своего соединения.",
    "nat.untracked": "Пакет не отслеживается: NAT к нему неприменим.",
    "nat.range_first_address": (
        "Модель берёт первый адрес NAT-диапазона; ядро распределяет соединения по диапазону хешем."
    ),
    # routing
    "route.local": (
        "Маршрутизация: {dst} — один из адресов этого хоста (маршрут {type} в таблице {table}): доставить локально."
    ),
    "route.forward": "Маршрутизация: пакет не нам; маршрут {route} в таблице {table} отправляет его через {dev}.",
    "route.forwarding_off": (
        "Маршрутизация: пакет не нам, а пересылка на {dev} выключена (net.ipv4.ip_forward=0): молча отброшен."
    ),
    "route.no_route_no_forward": "Маршрутизация: маршрута нет ({error}), пересылка выключена: молча отброшен.",
    "route.unreachable": (
        "Маршрутизация: {type} ({error}): пакет отброшен, а отправителю, где ядро так делает, сообщают об этом по ICMP."
    ),
    "route.martian_source": "«Марсианский» адрес источника {src}: отброшен.",
    "route.martian_destination": "«Марсианский» адрес назначения {dst}: отброшен.",
    "route.martian_local_source": (
        "Источник {src} — наш собственный адрес, но пакет пришёл снаружи: отброшен как «марсианский»."
    ),
    "route.rp_filter": (
        "Проверка обратного пути (rp_filter={mode}): путь назад к {src} идёт через {back}, а не через {dev}: отброшен."
    ),
    "route.output": "Маршрутизация исходящего: маршрут {route} (таблица {table}) → устройство {dev}.",
    "route.out_unreachable": "Маршрутизация исходящего: маршрута нет ({error}).",
    "route.reroute": "Пакет изменился в OUTPUT: маршрут выбран заново → {dev}.",
    "forward.ttl": "ip_forward(): TTL уменьшается до хука FORWARD.",
    "forward.redirect_sent": (
        "Пакет уходит через тот же интерфейс, через который пришёл: отправителю сообщают ICMP redirect, чтобы он слал "
        "прямо следующему узлу."
    ),
    "forward.ttl_exceeded": "ip_forward(): TTL {ttl} дошёл бы до 0: пакет отброшен, назад уходит ICMP time exceeded.",
    # transmit
    "send.app": "Этот пакет отправляет приложение ({owner}).",
    "send.stack": "Этот пакет отправляет само ядро.",
    "tx.qdisc": "Пакет поставлен в очередь qdisc {qdisc} устройства {dev}.",
    "tc.noqueue": "У {dev} qdisc noqueue: очереди нет вовсе, пакет сразу уходит драйверу "
    "(программным устройствам вроде veth она не нужна).",
    "tc.queued_wait": "{where} на {dev} придерживает пакет: в очереди {n} (лимит {limit}{unit}), он уйдёт через "
    "{wait_ms} мс симулированного времени{class_text}.",
    "tc.htb_direct": "На {dev} ни один класс не подошёл, а класса HTB по умолчанию нет: пакет уходит через "
    "прямую очередь без ограничения (его считает direct_packets_stat).",
    "tc.drop_limit": "{where} на {dev} заполнена ({n} ждут, лимит {limit}{unit}): пакет отброшен (QDISC_DROP). "
    "tc -s qdisc учитывает его в dropped.",
    "tc.drop_loss": "netem на {dev} теряет этот пакет, как велит параметр loss (в модели — каждый n-й пакет, "
    "а не случайно). Считается как dropped.",
    "tc.drop_too_big": "Пакет больше ведра tbf на {dev}: ему никогда не набрать столько жетонов, и tbf его "
    "отбрасывает.",
    "tc.egress_drop": "Фильтр clsact egress на {dev} (pref {pref}) отбрасывает пакет ещё до qdisc (TC_EGRESS).",
    "tc.ingress_pass": "qdisc {qdisc} на {dev}: фильтр pref {pref} подходит и пропускает пакет дальше.",
    "tc.ingress_no_match": "qdisc {qdisc} на {dev}: ни один фильтр не подошёл, пакет идёт дальше.",
    "tc.ingress_gact_drop": "qdisc {qdisc} на {dev}: подходит фильтр pref {pref}, его действие — drop (TC_INGRESS).",
    "tc.ingress_police_drop": "qdisc {qdisc} на {dev}: фильтр pref {pref} ограничивает поток (police), и этот "
    "пакет превышает скорость: отброшен (TC_INGRESS). Policing отбрасывает, в очередь не ставит.",
    "tc.redirect_dev_down": "Фильтр pref {pref} на {dev} перенаправляет пакет на {ifb}, а оно выключено или "
    "удалено: пакет отброшен.",
    "tc.ifb_queued": "Фильтр pref {pref} на {dev} перенаправляет пакет на {ifb}; qdisc {ifb} ({where}) держит его "
    "в очереди ({n} ждут, лимит {limit}{unit}) {wait_ms} мс симулированного времени, затем ifb возвращает его "
    "в приём {dev}.",
    "tc.ifb_drop": "Фильтр pref {pref} на {dev} перенаправляет пакет на {ifb}, а его qdisc ({where}) заполнена "
    "({n} ждут, лимит {limit}{unit}): пакет отброшен (QDISC_DROP). Так работает шейпинг входящего трафика через ifb.",
    "tc.note.shaped": "Модель: ожидание считается на симулированных часах по скорости и ведру шейпера; "
    "путь пакета не приостанавливается, а занятые соседние классы HTB не делят между собой запас родителя.",
    "tc.note.no_nic_timing": "Модель: устройство без шейпера отправляет пакеты так же быстро, как они приходят "
    "(время работы NIC не моделируется), поэтому очередь не растёт, а CoDel из fq_codel никогда не срабатывает. "
    "Добавьте HTB или TBF, чтобы её увидеть.",
    "tx.wire": "Драйвер кладёт пакет в TX-кольцо; карта отправляет его в провод с {dev}. "
    "tcpdump видит его здесь, уже после NAT.",
    "tx.loopback": "Отправлен через lo: сразу же приходит обратно.",
    # ---- между пространствами имён: соседи (ARP), кабели, мосты -------------------------------------
    "neigh.arp": (
        "{hop} на {dev} нет в таблице соседей: ядро рассылает ARP-запрос («у кого {hop}?»), пространство {owner} "
        "отвечает «{hop} — это {mac}», запись становится REACHABLE, и ждавший пакет уходит."
    ),
    "neigh.cached": "Таблица соседей уже знает {hop} на {dev}: {mac} ({before}). ARP не нужен.",
    "neigh.failed": (
        "На ARP-запросы о {hop} на {dev} никто не отвечает (три, с интервалом в секунду): запись становится "
        "FAILED, пакет выброшен, а отправителю сообщают «host unreachable»."
    ),
    "tx.cable": "Драйвер отправляет кадр в {dev}; на другом конце кабеля его получает {peer} в {ns}.",
    "veth.rx": (
        "{dev} получает кадр, который отправила его пара из {ns}: пара veth — это кабель без сетевых карт на "
        "концах, поэтому нет ни DMA, ни кольца, ни прерывания; тот же sk_buff идёт дальше в очередь backlog."
    ),
    "veth.otherhost": (
        "Кадр адресован {mac}, а не {dev} ({own}): eth_type_trans() помечает его PACKET_OTHERHOST, и он выброшен."
    ),
    "bridge.up": (
        "Мост {bridge} запоминает, что {src} находится за {port}. Кадр адресован самому мосту ({mac}), поэтому "
        "поднимается в IP-стек этого пространства имён и приходит на {bridge}."
    ),
    "bridge.fdb": (
        "Мост {bridge} запоминает, что {src} находится за {port}. По его таблице пересылки {mac} находится за "
        "{out}: кадр уходит туда, и больше никуда."
    ),
    "bridge.flood": (
        "Мост {bridge} запоминает, что {src} находится за {port}. {mac} ещё нет в его таблице пересылки, поэтому "
        "кадр рассылается во все остальные порты ({n}); путь следует за копией на {out}."
    ),
    "bridge.filtered": (
        "Мост {bridge}: {mac} находится за тем же портом, откуда пришёл кадр ({port}); пересылать нечего."
    ),
    "bridge.down": "Мост {bridge} выключен: кадр никуда не идёт.",
    "bridge.no_port": "У моста {bridge} нет ни одного включённого порта, чтобы отправить кадр для {mac}.",
    "bridge.out_fdb": "Кадр уходит через мост {bridge}: по таблице пересылки {mac} находится за {port}.",
    "bridge.out_flood": (
        "Кадр уходит через мост {bridge}: {mac} ещё не изучен, поэтому кадр уходит во все порты ({n}); путь "
        "следует за копией на {port}."
    ),
    "brnf.call": (
        "br_netfilter (здесь встроен в ядро; там, где модуль не загружен, кадр здесь никто бы не увидел): "
        "bridge-nf-call-iptables в этом пространстве имён равен 1, поэтому кадр, который пересылает {bridge}, "
        "проходит здесь PREROUTING, FORWARD и POSTROUTING; -i/-o видят {bridge}, а -m physdev видит порт "
        "({port}). INPUT и OUTPUT — никогда."
    ),
    "brnf.off": (
        "net.bridge.bridge-nf-call-iptables в этом пространстве имён равен 0: ни iptables, ни conntrack здесь "
        "не видят кадров, которые пересылает {bridge}."
    ),
    "brnf.dnat_bridged": (
        "DNAT на мосту: {from} стал {to}, а маршрут к нему ведёт через сам {bridge} — кадр по-прежнему "
        "коммутируется, теперь на MAC {mac} адреса {to} (br_nf_pre_routing_finish_bridge)."
    ),
    "brnf.dnat_up": (
        "DNAT на мосту: {from} стал {to}, а он не за {bridge}: кадр получает MAC самого {bridge} и поднимается "
        "в IP-стек этого пространства имён на маршрутизацию (второй раз PREROUTING не выполняется)."
    ),
    "brnf.sabotage": (
        "PREROUTING для этого кадра уже выполнен на мосту (пришёл с {port}): ip_sabotage_in() здесь его пропускает."
    ),
    "link.too_many_hops": "Кадр прошёл слишком много пространств имён (петля между мостами?): симулятор его остановил.",
    "tx.dev_down": "Устройство {dev} выключено: ничего не отправлено.",
    # sockets
    "sock.tcp_closed": "На TCP-порту {port} никто не слушает: ядро отвечает RST (connection refused).",
    "sock.tcp_broadcast": "TCP-сегмент на широковещательный адрес: ядро на него не отвечает (ни SYN-ACK, ни RST).",
    "sock.rst_no_socket": (
        "RST на TCP-порт {port}, но сокета с таким соединением нет: пакет отброшен. На RST никогда не "
        "отвечают."
    ),
    "sock.udp_closed": "На UDP-порту {port} нет сокета: ядро отвечает ICMP port unreachable.",
    "sock.syn_queued": "SYN для {owner}: запрос встаёт в SYN-очередь ({queued}), назад уходит SYN-ACK.",
    "sock.syncookie": "SYN-очередь полна: вместо записи в очереди отвечаем SYN cookie ({owner}).",
    "sock.accept_queue_full": (
        "Очередь accept полна ({queued} > backlog {backlog}): SYN отброшен; клиент повторит попытку."
    ),
    "sock.accept_queue_full_ack": "Пришёл ACK рукопожатия, но очередь accept полна (backlog {backlog}): отброшен.",
    "sock.syn_queue_full": "SYN-очередь полна, а syncookies выключены: SYN отброшен.",
    "sock.handshake_done": "Рукопожатие завершено: соединение переходит в очередь accept {owner} ({queued}/{backlog}).",
    "sock.listener_bad_segment": "Сегмент для слушающего сокета, но это не SYN: ответ — RST.",
    "sock.abort_on_data": (
        "{owner} уже закрыл этот сокет, а приходят {bytes} байт данных: ядро отвечает RST, "
        "и соединения больше нет."
    ),
    "sock.keepalive_probe": (
        "Проба keepalive (старый номер последовательности, без данных) для сокета {owner}: ответ — ACK, "
        "и собеседник узнаёт, что мы на месте."
    ),
    "sock.rcvbuf_full": (
        "Буфер приёма {owner} полон: непрочитанными ждут {unread} байт из {space}, которые он вмещает. "
        "Окно закрыто, сегмент отброшен; ACK повторяет прежний номер подтверждения."
    ),
    "sock.segment": "{bytes} байт в очередь приёма сокета {owner}.",
    "sock.bad_ack": "ACK подтверждает {ack}, а следующий номер после SYN-ACK — {want}: в ответ RST.",
    "sock.connected": "SYN-ACK отвечает на connect() {owner}: соединение установлено, назад уходит ACK.",
    "sock.synsent_bad_segment": "Сокет в состоянии SYN-SENT получает не SYN-ACK, а что-то другое: отброшено.",
    "sock.refused": (
        "RST во время подключения: connect() {owner} завершается ошибкой ECONNREFUSED (connection refused)."
    ),
    "sock.rst_received": "Получен RST: соединение {owner} разорвано.",
    "sock.udp_queued": "Датаграмма поставлена в очередь {owner}.",
    "sock.no_protocol": "Для этого IP-протокола нет обработчика.",
    "app.accept": "{app} вызывает accept(): у соединения появляется новый fd.",
    "app.emfile": (
        "{app} вызывает accept() и получает EMFILE: заняты все {limit} fd; в очереди ждут {queued} соединени(й)."
    ),
    "app.not_accepting": "{app} не вызывает accept(): соединение ждёт в очереди.",
    "app.recv": "{app} читает {bytes} байт через recv().",
    "app.recvfrom": "{app} читает {bytes} байт через recvfrom().",
    "app.close": "{app} видит конец файла и вызывает close(): назад уходит FIN.",
    "app.leak_close_wait": (
        "{app} так и не вызывает close() для fd {fd}: сокет остаётся в CLOSE-WAIT, fd остаётся занят."
    ),
    "icmp.echo": "ICMP echo request: ядро само отвечает echo reply.",
    "icmp.echo_ignored": "icmp_echo_ignore_all=1: echo reply не отправляется.",
    "icmp.echo_broadcast_ignored": "icmp_echo_ignore_broadcasts=1: echo request на широковещательный адрес без ответа.",
    "icmp.error_to_socket": "ICMP-ошибка (тип {type}, код {code}) передана сокету, которого она касается.",
    "icmp.other": "ICMP типа {type} обработан ядром.",
    # ---- UI strings (netstack_tui/tui) -------------------------------------------------------------
    "ui.key.step": "Шаг",
    "ui.key.step_back": "Назад",
    "ui.key.play": "Пуск",
    "ui.key.faster": "Быстрее",
    "ui.key.slower": "Медленнее",
    "ui.key.first": "В начало",
    "ui.key.last": "В конец",
    "ui.key.next_packet": "След. пакет",
    "ui.key.previous_packet": "Пред. пакет",
    "ui.key.reset": "Сбросить сценарий",
    "ui.key.shell_tab": "Оболочка",
    "ui.key.cancel_flood": "Остановить поток",
    "ui.key.interrupt": "Прервать",
    "ui.help.k.restart": "Заново (с вашими командами)",
    "ui.key.reply": "Ответ",
    "ui.key.summary": "Итог",
    "ui.key.topology": "Топология",
    "ui.key.command": "Команда",
    "ui.key.restart": "Заново",
    "ui.key.goal": "Цель",
    "ui.key.scenarios": "Сценарии",
    "ui.key.help": "Справка",
    "ui.key.language": "English",
    "ui.key.theme": "Тема",
    "ui.key.packet_tab": "Пакет",
    "ui.key.quit": "Выход",
    "ui.key.dismiss": "Закрыть",
    "ui.tab.stage": "Этап",
    "ui.tab.packet": "Пакет",
    "ui.tab.shell": "Консоль",
    "ui.cmd.placeholder": "Команда: iptables, ip, ss, conntrack, send…  («:» — ввод, Esc — выход)",
    "ui.cmd.status": "(код возврата {status})",
    "ui.hdr.packet": "пакет {n}/{total}: {name}",
    "ui.hdr.reply": "ответ {n}/{total}",
    "ui.hdr.step": "шаг {n}/{total}",
    "ui.hdr.playing": "▶ воспроизведение ×{speed}",
    "ui.outcome.passed": "пройден",
    "ui.outcome.dropped": "отброшен",
    "ui.outcome.skipped": "пропущен",
    "ui.outcome.delivered": "доставлен",
    "ui.outcome.transmitted": "отправлен",
    "ui.outcome.pending": "ещё впереди",
    "ui.legend.passed": "этап пропустил пакет дальше",
    "ui.legend.dropped": "здесь пакет погиб (отброшен или отклонён)",
    "ui.legend.skipped": "этап не применялся (нет программы, пустая таблица, не первый пакет)",
    "ui.legend.delivered": "передан сокету или самому ядру",
    "ui.legend.transmitted": "отправлен в провод",
    "ui.legend.pending": "этап, до которого пакет ещё не дошёл",
    "ui.outcome.unreached": "не достигнут",
    "ui.legend.unreached": "этап на пути пакета, до которого он не дошёл: его отбросили раньше",
    "ui.param.rule": "правило {n}",
    "ui.param.handle": "дескриптор {n}",
    "ui.param.in_chain": "в цепочке {chain}",
    "ui.param.policy": "политика",
    "ui.loading.keys": "Пока идёт загрузка: ? справка · l язык · t тема · o сценарии · q выход. Затем → двигает пакет.",
    "ui.legend.current": "где пакет сейчас",
    "ui.legend.changed": "байт изменился с момента отправки (NAT, TTL, контрольная сумма)",
    "ui.where.rule": "{table}/{chain}, правило {n}",
    "ui.where.policy": "{table}/{chain}, политика",
    "ui.disp.delivered": "Доставлен: {to}",
    "ui.disp.forwarded": "Переслан через {via}",
    "ui.disp.sent": "Отправлен через {via}",
    "ui.disp.dropped": "Отброшен: {where} ({reason})",
    "ui.disp.dropped.noreason": "Отброшен: {where}",
    "ui.disp.rejected": "Отклонён: {where} ({reason})",
    "ui.disp.rejected.noreason": "Отклонён: {where}",
    "ui.no_journey": "Пакет ещё не отправлен: нажмите n или введите команду send.",
    "ui.changes": "Что изменил этот этап:",
    "ui.changed": "Путь изменился на шаге {n} ({stage}): {before} → {after}",
    "ui.verdict_at": "{verdict}: {where}",
    "ui.internal_error": "внутренняя ошибка симулятора ({error}); работа прервана на полпути, хост мог измениться",
    "ui.welcome": "→ — пакет на этап вперёд, ← — назад, щелчок по этапу — переход · «:» — ввести команду · ? — справка",
    "ui.loading": "Загружаем сценарий: настраиваем хост и отправляем первый пакет…",
    "ui.unchanged_but_others": (
        "Путь этого пакета не изменился, но изменилась судьба пакета {names}: нажмите n, чтобы отправить его."
    ),
    "ui.no_next_packet": (
        "Это был последний пакет сценария ({total} из {total}). Свой пакет можно отправить командой `send "
        "...`."
    ),
    "ui.reset_done": (
        "Сценарий снова в исходном сломанном состоянии (ваши команды забыты; ↑ в командной строке вернёт их)."
    ),
    "ui.no_reply": "На этот пакет хост ничего не ответил.",
    "ui.no_reply.drop": (
        "Ответа нет: DROP молча выбрасывает пакет, отправитель ничего не узнаёт и повторяет попытки, пока не сдастся "
        "(таймаут). REJECT ответил бы RST или ICMP-ошибкой."
    ),
    "ui.quit_confirm": "Вы ввели здесь команд: {n}; при выходе они пропадут. Нажмите q ещё раз, чтобы выйти.",
    "ui.flood.cancel_hint": "Идёт поток пакетов: Esc или Ctrl-C остановит его между двумя пакетами.",
    "ui.unchanged": "Хост изменился, но путь этого пакета — нет.",
    "ui.restarted": "Заново: начальная настройка, ваши команды и снова первый пакет.",
    "ui.rule": "правило:",
    "ui.drop_reason": "причина отброса в ядре: {reason}",
    "ui.analogy": "Представьте:",
    "ui.real": "На настоящей машине:",
    "ui.end_hint": "Конец пути — s: итог · n: следующий пакет",
    "ui.end_hint_replies": "Конец пути — s: итог · a: проследить ответы ({n}) · n: следующий пакет",
    "ui.analogy.veth": (
        "Пространство имён — это квартира со своей дверью, телефонной линией и записной книжкой; пара veth — "
        "кабель, протянутый между двумя квартирами: что вошло в один конец, выходит из другого, и больше на нём никого."
    ),
    "ui.analogy.bridge": (
        "Мост — это коммутатор на лестничной клетке: он запоминает, из какой квартиры пришёл кабель каждого "
        "отправителя, и передаёт письмо только в нужную квартиру, а пока не знает — во все сразу."
    ),
    "ui.analogy.neigh": (
        "ARP — это крикнуть на лестнице «кто живёт по адресу 10.0.0.2?»: нужный сосед отвечает номером своей двери "
        "(MAC), и вы записываете его в книжку, чтобы какое-то время не спрашивать снова."
    ),
    "ui.analogy.path": (
        "Почтовое отделение: пакет — письмо, которое выгружают, проверяют, сортируют и несут к нужному окошку; каждый "
        "этап — один стол, мимо которого оно проходит."
    ),
    "ui.analogy.ring": (
        "RX-кольцо — приёмная полка: грузовик (карта) сам раскладывает письма по пронумерованным ячейкам; служащему "
        "(процессору) звонят один раз (прерывание), и дальше он разбирает полку пачками (NAPI)."
    ),
    "ui.analogy.xdp": (
        "XDP — охранник, которого вы программируете сами; он стоит у ворот склада, когда никаких бумаг ещё не "
        "заведено: развернуть письмо здесь почти ничего не стоит."
    ),
    "ui.analogy.skb": (
        "sk_buff — конверт с запасом места спереди (headroom) и сзади (tailroom): уровни добавляют и снимают "
        "заголовки, сдвигая указатель, а не переписывая письмо."
    ),
    "ui.analogy.routing": (
        "Сортировочный стол: читает адрес, находит в справочнике самую точную запись (самый длинный префикс) и решает "
        "— в этот дом, по другой дороге или никуда."
    ),
    "ui.analogy.netfilter": (
        "Охрана на посту со списком правил: читает правила сверху вниз и действует по первому подходящему; если не "
        "подошло ни одно, действует общий приказ поста (политика)."
    ),
    "ui.analogy.nat": (
        "Служащий, который переписывает адрес на конверте, — только для первого письма разговора; остальные идут по "
        "записи в журнале (conntrack)."
    ),
    "ui.analogy.conntrack": (
        "Журнал разговоров у охраны: раз разговор записан, его следующие письма и ответы узнают с первого взгляда."
    ),
    "ui.analogy.socket": (
        "Телефонная розетка в квартире: порт — добавочный номер, слушающая программа снимает трубку, а fd — трубка в "
        "её руке."
    ),
    "ui.analogy.egress": (
        "На выходе письмо ждёт в лотке исходящих (qdisc), пока фургон (TX-кольцо драйвера) не увезёт его на дорогу."
    ),
    "ui.ring.head": "RX-кольцо {dev}: занято {used} из {size} дескрипторов; бюджет NAPI — {budget} кадров за проход",
    "ui.ring.more": "дескрипторов не показано",
    "ui.ring.full": "Кольцо заполнено: кадру не хватило дескриптора, он потерян (rx_missed_errors).",
    "ui.ring.filled": "◆ ячейка {slot}: карта записала сюда кадр через DMA; процессор пока не работал.",
    "ui.ring.drained": "◇ ячейка {slot}: опрос NAPI забирает кадр (до {budget} за проход) и освобождает дескриптор.",
    "ui.ring.legend": "■ занято  □ свободно  ◆ этот кадр пришёл  ◇ этот кадр забирают",
    "ui.skb.head": "sk_buff после {op}; skb->data указывает на заголовок {layer}",
    "ui.skb.sizes": "запас спереди {headroom} Б · данные {data} Б · запас сзади {tailroom} Б",
    "ui.skb.legend": (
        "skb_pull() сдвигает data вправо (снять заголовок), skb_push() — влево (добавить): без копирования."
    ),
    "ui.chain.match": "подходит",
    "ui.chain.no_match": "не подходит",
    "ui.chain.not_reached": "не дошли",
    "ui.chain.legend": "✓ подошло   ✗ не подошло (≠ условие, которое не выполнилось)   · не дошли",
    "ui.chain.empty": "(правил нет)",
    "ui.chain.policy": "Ни одно правило не решило: действует политика цепочки {policy}.",
    "ui.chain.decided": "Решило правило {n} цепочки {chain}: {target}.",
    "ui.chain.skipped": "Для этого пакета таблица не проверялась.",
    "ui.route.empty": "(маршрутов нет)",
    "ui.route.result": "итог: {result}",
    "ui.route.why": "почему: {why}",
    "ui.ct.no_entry": "(записи нет: пакет не отслеживается или запись ещё не создана)",
    "ui.ct.created": "(запись создана этим пакетом, ещё не подтверждена)",
    "ui.ct.table": "таблица: {used}/{max} записей",
    "ui.sock.none": "(для этого пакета сокета нет)",
    "ui.sock.synq": "SYN-очередь: {n}",
    "ui.sock.acceptq": "очередь accept: {n}/{backlog}",
    "ui.sock.fds": "fd: {n}/{limit}",
    "ui.sock.legend": (
        "У слушающего сокета две очереди: незавершённые рукопожатия (SYN-очередь) и завершённые, ждущие accept()."
    ),
    "ui.xdp.none": "На {dev} нет XDP-программы: до создания sk_buff ничего не выполняется.",
    "ui.xdp.prog": "XDP-программа {prog}, режим {mode}",
    "ui.xdp.pyramid": "Где можно остановить пакет — от самого дешёвого:",
    "ui.xdp.p1": "XDP native — в драйвере, sk_buff ещё нет",
    "ui.xdp.p2": "XDP generic — после создания sk_buff и GRO",
    "ui.xdp.p3": "tc ingress — sk_buff, до netfilter",
    "ui.xdp.p4": "netfilter (iptables/nftables) — хуки на уровне IP",
    "ui.xdp.p5": "приложение — после всего стека",
    "ui.queue.head": "исходящая qdisc {dev}: {qdisc}",
    "ui.queue.len": "очередь: {n}/{limit} пакетов",
    "ui.queue.where": "ждёт в: {where}{class_text}",
    "ui.queue.bytes": "в очереди: {bytes} байт (лимит {limit} байт)",
    "ui.queue.wait": "уйдёт через {wait_ms} мс (симулированные часы)",
    "ui.queue.counters": "tc -s: отправлено {sent} пак., отброшено {dropped}, overlimits {overlimits}",
    "ui.generic": "У этого этапа нет собственного состояния для показа; он моделирует {function}.",
    "ui.pkt.ether": "Ethernet",
    "ui.pkt.payload": "данные",
    "ui.pkt.hex": "Байты кадра ({n})",
    "ui.pkt.changed": "изменено: {n}",
    "ui.help.title": "netstack-tui — справка",
    "ui.help.intro": (
        "Пакет проходит через моделируемый Linux-хост. Левая колонка — его путь, в середине — состояние текущего "
        "этапа, справа — сам пакет; внизу — объяснение каждого шага и настоящая команда, которая показывает то же "
        "самое. Вводите настоящие команды (iptables, ip, ss, sysctl…) в командной строке: если они меняют хост, тот же "
        "пакет отправляется заново, и экран показывает, что изменилось."
    ),
    "ui.help.keys": "Клавиши",
    "ui.help.legend": "Значки",
    "ui.help.glossary": "Этапы",
    "ui.help.k.step": "шаг вперёд / назад (или щелчок по этапу)",
    "ui.help.k.jump": "первый / последний шаг",
    "ui.help.k.play": "пуск или пауза; быстрее / медленнее",
    "ui.help.k.reply": "проследить ответ хоста (SYN-ACK, RST, ICMP) и вернуться",
    "ui.help.k.command": "перейти в командную строку",
    "ui.help.k.history": "в командной строке: история, дополнение",
    "ui.help.k.escape": "выйти из командной строки; закрыть окно",
    "ui.help.k.packet": "показать вкладку пакета (узкий терминал)",
    "ui.grouphead.link": "канал",
    "ui.group.link": "кадр от пары veth: без сетевой карты, кольца и прерывания; переходит skb отправителя",
    "ui.pipeline.root": "хост (корень)",
    "ui.pipeline.host_tip": (
        "Пакет в пространстве имён {host}: этапы ниже идут по его устройствам, маршрутам, правилам и сокетам."
    ),
    "ui.topo.title": "Топология",
    "ui.topo.count": "пространств имён: {n}",
    "ui.topo.selected": "выбрано: {ns}",
    "ui.topo.no_journey": "Пути пока нет: отправьте пакет, чтобы увидеть, куда он пойдёт.",
    "ui.topo.died": "отброшен в",
    "ui.topo.path": "путь:",
    "ui.topo.ends": "✗ погибнет в {ns}",
    "ui.topo.wire": "провод",
    "ui.topo.legend.here": "пакет",
    "ui.topo.legend.dead": "отброшен здесь",
    "ui.topo.legend.hop": "пройденный кабель",
    "ui.topo.legend.updown": "включено/выключено",
    "ui.topo.legend.bridge": "мост",
    "ui.topo.legend.selected": "выбрано",
    "ui.topo.details.title": "Пространство имён {ns}",
    "ui.topo.details.routes": "Маршруты",
    "ui.topo.details.iptables": "Счётчики iptables",
    "ui.topo.details.neigh": "Соседи (ARP)",
    "ui.topo.details.sockets": "Сокеты",
    "ui.topo.details.gone": "Пространства имён {ns} больше нет.",
    "ui.topo.ipt.policy": "политика {policy} ({pkts} пак.)",
    "ui.topo.ipt.rules": "правил: {n}, совпало {pkts} пак.",
    "ui.topo.ipt.none": "правил нет; все политики ACCEPT",
    "ui.topo.key.step": "Шаг",
    "ui.topo.key.step_back": "Назад",
    "ui.topo.key.select_next": "Следующее",
    "ui.topo.key.select_previous": "Предыдущее",
    "ui.topo.key.details": "Подробно",
    "ui.topo.key.compact": "Компактно",
    "ui.topo.key.first": "Начало",
    "ui.topo.key.last": "Конец",
    "ui.topo.key.page_up": "Страница вверх",
    "ui.topo.key.page_down": "Страница вниз",
    "ui.topo.key.commands_here": "Команды здесь",
    "ui.topo.commands_hint": "x — вводить команды в {ns}",
    "ui.cmd.entered": (
        "Теперь команды выполняются в пространстве {ns} (в приглашении {ns}#); `exit` — назад в корневое."
    ),
    "ui.cmd.entered_root": "Теперь команды выполняются в корневом пространстве имён.",
    "ui.cmd.no_namespace": "Пространства имён {ns} больше нет.",
    "ui.topo.key.close": "Закрыть",
    "ui.strip.label": "Путь:",
    "ui.strip.short.routing": "маршр.",
    "ui.strip.short.socket": "сокет",
    "ui.grouphead.bridge": "мост",
    "ui.strip.short.bridge": "мост",
    "ui.grouphead.routing": "маршрутизация",
    "ui.grouphead.socket": "сокет",
    "ui.group.NIC": "сетевая карта и драйвер: фильтр MAC, DMA в RX-кольцо, прерывание и опрос NAPI, XDP в драйвере",
    "ui.group.skb": "создаётся буфер пакета в ядре; на нём работают GRO, generic XDP и tc ingress",
    "ui.group.IP": "ip_rcv() проверяет IP-заголовок раньше всех остальных",
    "ui.group.PREROUTING": "первый хук netfilter, до маршрутизации: raw, conntrack, mangle, nat (DNAT)",
    "ui.group.routing": "решение о маршруте: этому хосту, переслать дальше или маршрута нет",
    "ui.group.INPUT": "netfilter для пакетов этому хосту: mangle, filter, security, nat; conntrack подтверждает запись",
    "ui.group.socket": "поиск сокета и приложение, которое читает данные",
    "ui.group.FORWARD": "пакеты, которые хост пересылает: уменьшение TTL, mangle, filter",
    "ui.group.OUTPUT": "пакеты, созданные на хосте: маршрутизация, затем raw, conntrack, mangle, nat, filter",
    "ui.group.POSTROUTING": (
        "последний хук netfilter перед проводом: mangle, nat (SNAT/MASQUERADE), подтверждение conntrack"
    ),
    "ui.group.TX": "исходящая дисциплина очереди и TX-кольцо драйвера",
    "ui.sum.title": "Трассировка пакета (в стиле packet-tracer)",
    "ui.sum.result": "Итог:",
    "ui.sum.no_nat": "нет",
    "ui.sum.replies": "Хост ответил пакетами ({n}):",
    "ui.pick.title": "Сценарии",
    "ui.pick.filter": "Фильтр по названию, теме или уровню…",
    "ui.summary.close": "Esc, s или q — закрыть",
    "ui.sum.host": "Пространство имён: {host}",
    "ui.export.what.svg": "экран (SVG)",
    "ui.export.what.pcap": "кадры пути, всего {n} (pcapng, для Wireshark)",
    "ui.export.what.json": "путь пакета (трасса JSON)",
    "ui.export.what.summary": "сводка (текст)",
    "ui.export.saved": "Сохранено — {what}: {path}",
    "ui.export.sent": "Отправлено в браузер — {what}: {name}",
    "ui.export.refused": "Не сохранено: приложение, открытое через браузер, не пишет на диск сервера, а это "
    "соединение не умеет передавать файлы в браузер",
    "ui.export.failed": "Не удалось сохранить {what} в {dir}: {error}",
    "ui.export.nothing": "Экспортировать пока нечего: ни один пакет ещё не отправлен",
    "ui.help.k.export_svg": "сохранить экран как картинку SVG (в каталог экспорта)",
    "ui.help.k.export_pcap": "сохранить кадры пути как захват pcapng для Wireshark",
    "ui.help.k.export_json": "сохранить путь пакета как трассу JSON",
    "ui.help.k.export_summary": "сохранить сводку (s) как текст",
    "ui.pick.hint": (
        "Печатайте для фильтра · ↑↓ — выбор · Enter — открыть · Esc — назад · столбец id принимает --scenario"
    ),
    "ui.pick.col.title": "Сценарий",
    "ui.pick.col.level": "Уровень",
    "ui.pick.col.topics": "Темы",
    "ui.pick.col.progress": "Прогресс",
    "ui.level.beginner": "начальный",
    "ui.level.intermediate": "средний",
    "ui.level.advanced": "продвинутый",
    "ui.progress.new": "новый",
    "ui.progress.in_progress": "в работе",
    "ui.progress.solved": "решён",
    "ui.goal.symptom": "Что наблюдается",
    "ui.goal.keys": "h — следующая подсказка · Esc — назад к пакету",
    "ui.goal.goal": "Цель",
    "ui.goal.reached": "Цель достигнута!",
    "ui.goal.reached_toast": "Цель достигнута! Нажмите g, чтобы увидеть итоги.",
    "ui.goal.hints": "Подсказки (показано {used} из {total})",
    "ui.goal.more": "Нажмите h, чтобы открыть следующую подсказку.",
    "ui.goal.solution": "Решение",
    "ui.setup_errors": "Часть строк начальной настройки не выполнилась",
    "ui.theme_now": "Тема: {theme}",
    # Подписи этапов (конвейер, заголовки, справка).
    "stage.nic": "NIC",
    "stage.dma": "DMA → кольцо RX",
    "stage.napi": "IRQ → опрос NAPI",
    "stage.xdp": "XDP (native)",
    "stage.skb": "выделение sk_buff",
    "stage.xdp_generic": "XDP (generic)",
    "stage.gro": "GRO",
    "stage.tc_ingress": "tc ingress",
    "stage.veth": "veth: от пары",
    "stage.bridge": "мост",
    "stage.bridge.prerouting.raw": "raw (на мосту)",
    "stage.bridge.prerouting.conntrack": "conntrack (на мосту)",
    "stage.bridge.prerouting.mangle": "mangle (на мосту)",
    "stage.bridge.prerouting.nat": "nat (на мосту)",
    "stage.bridge.forward.mangle": "mangle (на мосту)",
    "stage.bridge.forward.filter": "filter (на мосту)",
    "stage.bridge.forward.security": "security (на мосту)",
    "stage.bridge.postrouting.mangle": "mangle (на мосту)",
    "stage.bridge.postrouting.nat": "nat (на мосту)",
    "stage.bridge.postrouting.confirm": "подтверждение conntrack (на мосту)",
    "stage.neigh": "сосед (ARP)",
    "stage.ip_rcv": "проверки ip_rcv",
    "stage.prerouting.raw": "raw",
    "stage.prerouting.conntrack": "conntrack",
    "stage.prerouting.mangle": "mangle",
    "stage.prerouting.nat": "nat",
    "stage.route_input": "маршрутизация",
    "stage.input.mangle": "mangle",
    "stage.input.filter": "filter",
    "stage.input.nat": "nat",
    "stage.input.security": "security",
    "stage.input.confirm": "подтверждение ct",
    "stage.socket": "поиск сокета",
    "stage.app": "приложение",
    "stage.ip_forward": "ip_forward",
    "stage.forward.mangle": "mangle",
    "stage.forward.filter": "filter",
    "stage.forward.security": "security",
    "stage.send": "отправка",
    "stage.route_output": "маршрут (выход)",
    "stage.output.raw": "raw",
    "stage.output.conntrack": "conntrack",
    "stage.output.mangle": "mangle",
    "stage.output.nat": "nat",
    "stage.output.filter": "filter",
    "stage.output.security": "security",
    "stage.reroute": "перемаршрутизация",
    "stage.postrouting.mangle": "mangle",
    "stage.postrouting.nat": "nat",
    "stage.postrouting.confirm": "подтверждение ct",
    "stage.qdisc": "qdisc (выход)",
    "stage.tx": "кольцо TX",
    # Проверки сценариев, как их читают списки целей и подсказок
    'goal.not': 'НЕ так: {inner}',
    'goal.after': ' (после: {commands})',
    'goal.delivered': 'пакет {packet} доставлен',
    'goal.to': ' в {where}',
    'goal.dropped': 'пакет {packet} отброшен',
    'goal.rejected': 'пакет {packet} отклонён (REJECT)',
    'goal.at': ' на {where}',
    'goal.reason': ' ({reason})',
    'goal.forwarded': 'пакет {packet} пересылается',
    'goal.sent': 'пакет {packet} уходит в сеть',
    'goal.dst': ' на {addr}',
    'goal.via': ' через {dev}',
    'goal.from': ' с адресом источника {addr}',
    'goal.replies.none': 'на пакет {packet} нет ответа',
    'goal.replies.any': 'на пакет {packet} приходит ответ',
    'goal.replies': 'на пакет {packet} приходит {answer}',
    'goal.visits': 'пакет {packet} проходит этап {stage}{verdict}',
    'goal.cost_below': 'пакет {packet} обходится дешевле {ns} нс',
    'goal.cost_above': 'пакет {packet} обходится не меньше {ns} нс',
    'goal.sysctl': '`{key}` равен {value}',
    'goal.listening': 'порт {proto}/{port} слушается{who}',
    'goal.in': ' в {ns}',
    'goal.root.from': 'хоста',
    'goal.root.in': 'хосте',
    'goal.ping.reply': '`ping {to}` из {where} получает ответ',
    'goal.ping.none': '`ping {to}` из {where} не получает ответа',
    'goal.ping.says': ' (ping пишет «{text}»)',
    'goal.connection': 'соединение из {where} на {to} принимает {who} в {ns}',
    'goal.connection.any': 'слушающий сокет',
    'goal.bind.ok': 'новый {proto}-сокет в {ns} может занять {addr}',
    'goal.bind.error': 'bind на {addr} ({proto}) в {ns} завершается ошибкой {error}',
    'goal.command_succeeds': '`{command}` выполняется успешно',
    'goal.command_fails': '`{command}` завершается ошибкой',
    'goal.output_contains': '`{command}` показывает «{text}»',
    'goal.output_lacks': '`{command}` не показывает «{text}»',
    'goal.rule': 'правило {index} цепочки {chain} ({table}): {what}',
    'goal.policy': 'политика {chain} ({table}) — {target}',
    'goal.conntrack_count_below': 'в conntrack меньше {n} записей',
    'goal.conntrack_count_at_least': 'в conntrack не меньше {n} записей',
    'goal.dmesg_contains': 'в dmesg есть «{text}»',
    'goal.job_ran': 'задание at `{text}` выполнено',
    'goal.followed.all': 'путь каждого пакета пройден до конца (→ до последнего шага, n — следующий пакет)',
    'goal.followed': 'пути пакетов {packets} пройдены до конца',
    'goal.process': 'процесс {app}: {parts}',
    'goal.process.and': ', ',
    'goal.process.running': 'работает',
    'goal.process.exited': 'не работает',
    'goal.process.fds_below': 'открыто меньше {n} fd',
    'goal.process.nofile_at_least': 'лимит fd не меньше {n}',
}
